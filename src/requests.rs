//! How a component talks to the server, in Leptos' own terms (issue 9):
//!
//! - **What it reads is a resource.** [`fetched`] makes a `LocalResource` of one request: it
//!   loads when the component mounts, again on `refetch` (a "Try again"), and the resource keeps
//!   the answer, which the component may edit in place after a saved change (`update`) rather
//!   than fetch the whole list again.
//! - **What it sends goes through an action.** A [`Sender`] is one Leptos `Action` for a part of
//!   a component (a form, a list's row buttons, a step's machine): each [`Sender::send`]
//!   dispatches a request, and the action's `pending` is that part's busy state, so no component
//!   keeps a busy flag of its own.
//!
//! Both live in the component's reactive owner, and the requests come from the component's
//! scoped client ([`crate::context::use_services`]), which aborts them when the component goes
//! away. An answer that arrives after that is dropped here: a handler never runs for a screen that
//! is gone.

use crate::api::{ApiFailure, LocalFuture};
use leptos::prelude::*;
use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

/// What every resource of the app holds, whatever it fetched: one type, behind one boxed fetcher,
/// so Leptos' resource machinery is compiled into the wasm once rather than once per type
/// (issue 12: the app's size).
type Answer = Result<Arc<dyn Any + Send + Sync>, ApiFailure>;

/// A resource holding a request's answer, a `T` or the failure: `None` while the answer is on
/// its way. Copy, like the resource.
pub struct Fetched<T> {
    resource: LocalResource<Answer>,
    _answer: PhantomData<fn() -> T>,
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

/// A resource of what `call` answers, loaded at once. `call` runs untracked: a signal it happens
/// to read (the session's token) does not reload the resource; [`reload`] does.
pub fn fetched<T: Send + Sync + 'static>(
    call: impl Fn() -> LocalFuture<Result<T, ApiFailure>> + 'static,
) -> Fetched<T> {
    Fetched {
        resource: resource(Box::new(move || {
            let answer = call();
            Box::pin(async move { answer.await.map(|value| Arc::new(value) as _) })
        })),
        _answer: PhantomData,
    }
}

/// The one resource type (not generic: compiled once).
fn resource(fetch: Box<dyn Fn() -> LocalFuture<Answer>>) -> LocalResource<Answer> {
    LocalResource::new(move || untrack(&fetch))
}

impl<T: 'static> Fetched<T> {
    /// `f` of the answer as it stands (tracked: for views).
    pub fn with<R>(self, f: impl FnOnce(Option<Result<&T, &ApiFailure>>) -> R) -> R {
        self.resource.with(|held| f(typed(held)))
    }

    /// [`Fetched::with`] without tracking; `None` once the component is gone.
    pub fn try_with_untracked<R>(
        self,
        f: impl FnOnce(Option<Result<&T, &ApiFailure>>) -> R,
    ) -> Option<R> {
        self.resource.try_with_untracked(|held| f(typed(held)))
    }

    /// Edits the answer in place (a saved change), as the server now holds it; nothing once the
    /// component is gone.
    pub fn update(self, f: impl FnOnce(&mut Option<Result<T, ApiFailure>>))
    where
        T: Clone + Send + Sync,
    {
        self.resource.try_update(|held| {
            let mut answer = held.take().map(|answer| {
                answer.map(|value| {
                    let value = value
                        .downcast::<T>()
                        .expect("a resource holds its own type");
                    Arc::try_unwrap(value).unwrap_or_else(|shared| (*shared).clone())
                })
            });
            f(&mut answer);
            *held = answer.map(|answer| answer.map(|value| Arc::new(value) as _));
        });
    }
}

/// The answer `held` as the `T` it was made from.
fn typed<T: 'static>(held: &Option<Answer>) -> Option<Result<&T, &ApiFailure>> {
    held.as_ref().map(|answer| {
        answer.as_ref().map(|value| {
            value
                .downcast_ref::<T>()
                .expect("a resource holds its own type")
        })
    })
}

/// Loads `fetched` again, showing it as loading meanwhile (not its old answer, which a "Try
/// again" is replacing).
pub fn reload<T>(fetched: Fetched<T>) {
    fetched.resource.set(None);
    fetched.resource.refetch();
}

/// A request handed to the action: the row it is for (if any), and its future, taken (once)
/// when the action runs it.
struct Request {
    key: Option<Uuid>,
    run: RefCell<Option<LocalFuture<()>>>,
}

impl Request {
    fn take(&self) -> LocalFuture<()> {
        self.run
            .borrow_mut()
            .take()
            .unwrap_or_else(|| Box::pin(async {}))
    }
}

/// One Leptos action through which a part of a component sends its requests. Its `pending` is
/// the part's busy state; its input says which row the request in flight is for (a list's
/// buttons), so no component keeps a busy flag of its own. Not generic: every sender is the
/// same `Action` type, compiled once into the wasm.
#[derive(Clone, Copy)]
pub struct Sender {
    action: Action<Request, ()>,
    pending: Memo<bool>,
}

impl Sender {
    /// A sender owned by the current component.
    pub fn new() -> Self {
        let action = Action::new_local(Request::take);
        Sender {
            action,
            pending: action.pending(),
        }
    }

    /// Whether a request is in flight (tracked: for views).
    pub fn pending(self) -> Signal<bool> {
        self.pending.into()
    }

    /// Whether a request is in flight, for handlers deciding whether to send another. False once
    /// the component is gone.
    pub fn is_pending(self) -> bool {
        self.pending.try_get_untracked() == Some(true)
    }

    /// The row the request in flight is for, while there is one (tracked: for views).
    pub fn working_on(self) -> Signal<Option<Uuid>> {
        let input = self.action.input();
        Signal::derive(move || input.with(|request| request.as_ref().and_then(|r| r.key)))
    }

    /// Sends `call`; its answer goes to `then`, unless the component is gone by then (its
    /// request aborted, nothing left to show the answer on).
    pub fn send<T: 'static>(
        self,
        call: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        self.dispatch(None, call, then);
    }

    /// [`Sender::send`] for row `key`, which [`Sender::working_on`] names meanwhile.
    pub fn send_for<T: 'static>(
        self,
        key: Uuid,
        call: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        self.dispatch(Some(key), call, then);
    }

    /// Wraps the typed request into one untyped type (so what follows is compiled once, not once
    /// per call site) and dispatches it.
    fn dispatch<T: 'static>(
        self,
        key: Option<Uuid>,
        call: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        self.dispatch_erased(
            key,
            Box::pin(async move {
                let answer = call.await;
                Box::new(move || then(answer)) as Box<dyn FnOnce()>
            }),
        );
    }

    fn dispatch_erased(self, key: Option<Uuid>, call: LocalFuture<Box<dyn FnOnce()>>) {
        let pending = self.pending;
        let run = async move {
            let handle = call.await;
            if !gone(pending) {
                handle();
            }
        };
        // The action goes with the component (both live in its owner).
        if !gone(pending) {
            self.action.dispatch_local(Request {
                key,
                run: RefCell::new(Some(Box::pin(run))),
            });
        }
    }
}

impl Default for Sender {
    fn default() -> Self {
        Sender::new()
    }
}

/// Whether the component owning `pending` has gone away.
fn gone(pending: Memo<bool>) -> bool {
    pending.try_with_untracked(|_| ()).is_none()
}
