//! The one form system (issue 9): a [`Form`] is a form's handle (its element, its element-id
//! prefix, whether it is being sent, its alert), a [`Field`] one of its fields (its path in the
//! request, its label, what it holds and the error under it). [`TextField`](super::TextField)
//! and [`SelectField`](super::SelectField) take a field and read its id and label from it, and
//! check it on blur, then live once it shows an error.
//!
//! Every form submits the same way ([`Form::submit`]): the model's rules first (nothing is sent
//! while a field breaks one), one request at a time, the server's 422 `fields` back onto the
//! same fields with focus on the first wrong one, the rest in the form's alert, and what was
//! typed never touched. The pure half (what is wrong, where it goes) is [`crate::forms`].
//!
//! **Drafts**: a screen draws its view again when the locale changes (every text is looked up
//! when it is drawn; [`crate::i18n::localized`]). A step's own fields live in the step and
//! survive that; a form that is part of the view and made again (the add-method form) keeps what
//! was typed in [`Drafts`]: a field's value lives there under its element id while its screen is
//! shown, so the re-made form finds it again. The drafts are memory only and dropped when the screen changes.

use crate::api::{ApiFailure, LocalFuture};
use crate::forms::{place_failure, Placed, Reason, Rejected};
use crate::i18n::Worded;
use crate::requests::Sender;
use leptos::html;
use leptos::prelude::*;
use std::collections::HashMap;

/// The element id of form field `path` in the form whose ids start with `prefix` (a path's dots
/// become dashes: `pf-compliance-address-line1`, usable in a CSS selector).
pub fn field_id(prefix: &str, path: &str) -> String {
    format!("{prefix}-{}", path.replace('.', "-"))
}

/// What the user typed on the current screen, by key, kept while the screen is drawn again in
/// another language. Provided by the app shell; without it (a step mounted alone) fields start
/// empty as before.
#[derive(Clone, Copy)]
pub struct Drafts(StoredValue<HashMap<String, ArcRwSignal<String>>>);

impl Drafts {
    /// Empty drafts, owned by the caller's owner (the shell).
    pub fn new() -> Self {
        Drafts(StoredValue::new(HashMap::new()))
    }

    /// Puts these drafts in context for what is below.
    pub fn provide(self) {
        provide_context(self);
    }

    /// Drops every draft (the screen changed).
    pub fn clear(self) {
        self.0.update_value(HashMap::clear);
    }

    /// The value kept under `key`, made with `initial` when there is none.
    fn value(self, key: String, initial: &str) -> ArcRwSignal<String> {
        let mut made = None;
        self.0.update_value(|map| {
            made = Some(
                map.entry(key)
                    .or_insert_with(|| ArcRwSignal::new(initial.to_owned()))
                    .clone(),
            );
        });
        made.unwrap_or_else(|| ArcRwSignal::new(initial.to_owned()))
    }
}

impl Default for Drafts {
    fn default() -> Self {
        Self::new()
    }
}

/// One field of a form: its path in the request and in the server's 422 `fields`
/// (`address.postal_code`), its label (looked up in the current language when drawn or
/// worded), and what it holds. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
pub struct Field {
    /// The form's element-id prefix.
    prefix: &'static str,
    /// The field's path in the request and in the error envelope's `fields`.
    pub path: &'static str,
    /// The field's name, on its label and in messages.
    label: fn() -> &'static str,
    /// The text as typed (or the value chosen); kept on every error.
    pub value: RwSignal<String>,
    /// The message under the field, already worded for people (`Routing number must be 9
    /// digits`); `None` when the field is fine.
    pub error: RwSignal<Option<String>>,
    /// Why, when [`Field::error`] is one the server found (a 422 naming the field), which the
    /// field's own check would not find: leaving the field keeps it, only an edit clears it,
    /// and a change of language words it again.
    pub server_error: RwSignal<Option<Reason>>,
}

impl Field {
    /// The field's element id ([`field_id`]).
    pub fn id(&self) -> String {
        field_id(self.prefix, self.path)
    }

    /// The field's label, in the current language.
    pub fn label(&self) -> &'static str {
        (self.label)()
    }

    /// The same field under another label (a postal code that is a ZIP code in the US).
    pub fn labelled(self, label: fn() -> &'static str) -> Self {
        Field { label, ..self }
    }

    /// The text as typed, without tracking.
    pub fn text(&self) -> String {
        self.value.get_untracked()
    }

    /// The inline check of this field: `check` runs the form's rules with `value` in this
    /// field, and the message about this field, worded with its label, is the answer.
    pub fn checked_by(
        self,
        check: impl Fn(&'static str, String) -> Option<Rejected> + Send + Sync + 'static,
    ) -> Callback<String, Option<String>> {
        Callback::new(move |value: String| check(self.path, value)?.about(self.path, self.label()))
    }
}

/// A form's handle: its element, its fields' id prefix, the action it is sent through (whose
/// `pending` is the form's busy state), and its alert (what no field took). Copy, so handlers
/// capture it freely.
#[derive(Clone, Copy)]
pub struct Form {
    /// Element-id prefix of the fields (`pf-compliance`).
    pub prefix: &'static str,
    /// The `<form>`, to move focus inside it.
    pub node: NodeRef<html::Form>,
    /// While a request is in flight: the submit button shows it, a second submit is ignored.
    pub busy: Signal<bool>,
    /// The action the form's requests go through.
    sender: Sender,
    /// The form's alert: an error no field took.
    pub alert: RwSignal<Option<Worded>>,
    drafts: Option<Drafts>,
}

impl Form {
    /// A form whose field ids start with `prefix`, keeping its drafts in the shell's
    /// [`Drafts`] when there are some.
    pub fn new(prefix: &'static str) -> Self {
        let sender = Sender::new();
        Form {
            prefix,
            node: NodeRef::new(),
            busy: sender.pending(),
            sender,
            alert: RwSignal::new(None),
            drafts: use_context::<Drafts>(),
        }
    }

    /// An empty field at `path`.
    pub fn field(&self, path: &'static str, label: fn() -> &'static str) -> Field {
        self.field_with(path, label, "")
    }

    /// A field at `path` holding `initial` (unless a draft of it is kept).
    pub fn field_with(
        &self,
        path: &'static str,
        label: fn() -> &'static str,
        initial: &str,
    ) -> Field {
        self.field_kept_as(path, path, label, initial)
    }

    /// [`Form::field_with`] for one of two fields at the same path that the form shows in turn
    /// (the US state picker and the free region): each keeps its draft under its own `key`.
    pub fn field_kept_as(
        &self,
        key: &str,
        path: &'static str,
        label: fn() -> &'static str,
        initial: &str,
    ) -> Field {
        Field {
            prefix: self.prefix,
            path,
            label,
            value: self.kept(key, initial),
            error: RwSignal::new(None),
            server_error: RwSignal::new(None),
        }
    }

    /// A value of this form kept across a change of language under `key` (a field's path, or a
    /// choice that is not a field: the platform picked), starting as `initial`.
    pub fn kept(&self, key: &str, initial: &str) -> RwSignal<String> {
        match self.drafts {
            Some(drafts) => drafts.value(field_id(self.prefix, key), initial).into(),
            None => RwSignal::new(initial.to_owned()),
        }
    }

    /// Shows `placed` on `fields` (clearing the other fields' errors), focuses the first field,
    /// in the order given, that has one, and answers what no field took. `from_server`: the
    /// errors are a failed request's ([`Field::server_error`]).
    pub fn show(self, fields: &[Field], placed: Placed, from_server: bool) -> Option<String> {
        let Placed {
            fields: mut errors,
            mut reasons,
            rest,
        } = placed;
        let mut first = None;
        for field in fields {
            let error = errors.remove(field.path);
            if error.is_some() && first.is_none() {
                first = Some(field.id());
            }
            let reason = reasons.remove(field.path).filter(|_| from_server);
            field.server_error.try_set(reason);
            field.error.try_set(error);
        }
        if let (Some(id), Some(form)) = (first, self.node.try_get_untracked().flatten()) {
            super::focus_within(&form, &id);
        }
        rest
    }

    /// Puts what the form's own check found wrong on `fields`; answers the rest.
    fn rejected(self, fields: &[Field], rejected: &Rejected) -> Option<String> {
        self.show(fields, rejected.place(&labels(fields)), false)
    }

    /// Puts a failed request's 422 `fields` on `fields`; answers the rest.
    fn failed(self, fields: &[Field], failure: &ApiFailure) -> Option<String> {
        self.show(fields, place_failure(failure, &labels(fields)), true)
    }

    /// Puts what the form's own check found wrong on `fields`; answers the rest, worded when
    /// shown (again in a new language).
    pub fn rejected_worded(self, fields: &[Field], rejected: &Rejected) -> Option<Worded> {
        self.rejected(fields, rejected).map(|_| {
            let (fields, rejected) = (fields.to_vec(), rejected.clone());
            Worded::new(move || rejected.place(&labels(&fields)).rest.unwrap_or_default())
        })
    }

    /// Puts a failed request's 422 `fields` on `fields`; answers the rest, worded when shown
    /// (again in a new language).
    pub fn failed_worded(self, fields: &[Field], failure: &ApiFailure) -> Option<Worded> {
        self.failed(fields, failure).map(|_| {
            let (fields, failure) = (fields.to_vec(), failure.clone());
            Worded::new(move || {
                place_failure(&failure, &labels(&fields))
                    .rest
                    .unwrap_or_default()
            })
        })
    }

    /// [`Form::rejected_worded`], the rest in the alert.
    pub fn reject(self, fields: &[Field], rejected: &Rejected) {
        self.alert.try_set(self.rejected_worded(fields, rejected));
    }

    /// [`Form::failed_worded`], the rest in the alert.
    pub fn fail(self, fields: &[Field], failure: &ApiFailure) {
        self.alert.try_set(self.failed_worded(fields, failure));
    }

    /// The submit of every form: clears the alert; with `input` wrong (the model's rules), each
    /// wrong field shows its message and nothing is sent; otherwise `send` runs, once at a time
    /// (through the form's action, whose `pending` is `busy`), and its answer goes to `on_ok`, or
    /// its errors onto `fields` and the alert; an answer for a form that is gone is dropped. What
    /// was typed is never touched here. `fields` answers the fields the form shows, in order:
    /// asked again when the answer comes, since the user may have swapped some out meanwhile
    /// (the country changed, and the tax id field with it, or the state picker for a free
    /// region at the same path); an error about a field not shown both then and now goes to
    /// the alert, where it is seen.
    pub fn submit<N, T: 'static>(
        self,
        fields: impl Fn() -> Vec<Field> + 'static,
        input: Result<N, Rejected>,
        send: impl FnOnce(N) -> LocalFuture<Result<T, ApiFailure>>,
        on_ok: impl FnOnce(T) + 'static,
    ) {
        if self.sender.is_pending() {
            return;
        }
        self.alert.set(None);
        let new = match input {
            Ok(new) => new,
            Err(rejected) => return self.reject(&fields(), &rejected),
        };
        let sent = fields();
        self.sender.send(send(new), move |result| match result {
            Ok(value) => on_ok(value),
            Err(failure) => {
                let still: Vec<Field> = fields()
                    .into_iter()
                    .filter(|field| sent.iter().any(|s| s.value == field.value))
                    .collect();
                self.fail(&still, &failure)
            }
        });
    }
}

/// `(path, label)` of `fields`, for placing errors.
fn labels(fields: &[Field]) -> Vec<(&'static str, &'static str)> {
    fields.iter().map(|f| (f.path, f.label())).collect()
}
