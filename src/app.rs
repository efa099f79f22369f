//! The app shell: reads the page (flow id, host window), mints the session, routes to a screen,
//! and owns what every screen shares — the `<main>` landmark, the progress indicator, the live
//! region, focus on screen changes, and the host bridge (`ready`, `resize`, `session_expired`,
//! `error`), and the language: it picks the locale when it starts (the link's `?locale=`, else
//! the browser's languages) and switches on the host's `set_locale` message: each screen draws
//! itself again in the new language keeping its state (`i18n::localized`), focus goes back to
//! the element with the same id, and what was typed in a part made again is kept ([`Drafts`]).
//!
//! The session token lives in a [`StoredValue`] (memory only); reloading the page mints a new
//! session from the link (the server resumes it by its cookie while it is valid). An expired
//! session shows a screen whose "Start again" mints a fresh one the same way. The server ends a
//! session after 30 idle minutes and every request keeps it alive; typing makes none, so while
//! the user types the shell reads the flow's state at most every [`KEEP_ALIVE_EVERY_MS`]: a
//! long form filled in slowly is not lost to an expiry at its submit.

use crate::api::{ApiFailure, Client, LocalFuture};
use crate::bridge::{Bridge, HostMessage, HostWindow};
use crate::context::{provide_services, FlowServices, Navigate, SessionApi};
use crate::i18n::{locale_signal, localized, parse_locale, set_locale, step_title, Locale};
use crate::requests::Sender;
use crate::router::{flow_id_from_path, progress, route, ErrorKind, Screen};
use crate::screens::{DoneScreen, LoadingScreen};
use crate::steps::{AuthStep, StepView};
use crate::t;
use crate::ui::{error_title, focus_id_soon, BrandHeader, Drafts, ErrorScreen, ProgressIndicator};
use leptos::html;
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::{spawn_local, tick};
use payout_model::{FlowState, LoadErrorType, NewSession, Origin, StepName};
use send_wrapper::SendWrapper;
use std::rc::Rc;
use std::time::Duration;
use uuid::Uuid;
use wasm_bindgen::prelude::*;

/// Where the session stands.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Loading,
    Failed(ErrorKind),
    Ready {
        flow: FlowState,
        authenticated: bool,
    },
}

/// The app as the browser opens it: the flow id from `/flow/{id}`, the real host window and
/// server, and real navigation.
#[component]
pub fn App() -> impl IntoView {
    let window = window();
    let path = window.location().pathname().unwrap_or_default();
    let host = HostWindow::detect(&window);
    let embedded = host.embedded();
    // A tab opened on its own (a link in a text message) has no page to go back to.
    let opened_from = window
        .history()
        .and_then(|h| h.length())
        .is_ok_and(|pages| pages > 1);
    let go_back = opened_from.then(|| Rc::new(go_back) as Rc<dyn Fn()>);
    view! {
        <FlowApp
            flow_id=flow_id_from_path(&path)
            api=Client::http()
            host=host
            navigate=Rc::new(move |url: &str| navigate_away(url, embedded))
            go_back=go_back
        />
    }
}

/// The shell with its outside world passed in, so browser tests can run it against a fake server.
#[component]
pub fn FlowApp(
    /// The flow from the page path; `None` shows the flow-not-found screen.
    flow_id: Option<Uuid>,
    /// The server.
    api: Client,
    /// The embedding window, if any.
    host: HostWindow,
    /// Leaves the flow for a URL.
    navigate: Navigate,
    /// "Go to dashboard" when standalone (embedded, the host handles `exit`); none when there
    /// is no page to go back to.
    go_back: Option<Rc<dyn Fn()>>,
    /// The time in milliseconds since the epoch; the browser's clock unless given (tests).
    #[prop(optional)]
    now: Option<Rc<dyn Fn() -> f64>>,
) -> impl IntoView {
    crate::i18n::init_from_page();
    let now = now.unwrap_or_else(|| Rc::new(js_sys::Date::now));
    let shell = Shell {
        touched: StoredValue::new(now()),
        now,
        api,
        bridge: Bridge::new(flow_id.map(|id| id.to_string()).unwrap_or_default()),
        phase: RwSignal::new(Phase::Loading),
        // The bearer token: memory only, never storage or cookies.
        token: StoredValue::new(None),
        root: NodeRef::new(),
        minting: Sender::new(),
        shown: RwSignal::new(document().get_element_by_id(PAGE_SCREEN).is_none()),
    };
    // "Go to dashboard" where it leads somewhere: to the host (embedded, or a native app's
    // WebView, which hear `exit`) or back to the page that opened the flow.
    let go_to_dashboard = (host.embedded() || !host.native.is_empty() || go_back.is_some())
        .then(|| shell.go_to_dashboard(host.embedded(), go_back));
    // Embedded, the flow moves the top window on a redirect, unless the host said it does that
    // itself (`embed.js`, which may also have been told to stay) and heard the `redirect`: a
    // host whose origin was not confirmed hears nothing, and is moved as a plain frame is.
    let navigate: Navigate = if host.embedded() && host.host_navigates {
        let bridge = shell.bridge.clone();
        Rc::new(move |url: &str| {
            if !bridge.connected() {
                navigate(url)
            }
        })
    } else {
        navigate
    };
    provide_services(shell.services(navigate, go_to_dashboard));
    let drafts = Drafts::new();
    drafts.provide();
    let load = {
        let shell = shell.clone();
        move || shell.load(flow_id, &host)
    };
    load();
    let retry = UnsyncCallback::from(load);

    let phase = shell.phase;
    let screen = Memo::new(move |_| match phase.get() {
        Phase::Loading => Screen::Loading,
        Phase::Failed(kind) => Screen::Error(kind),
        Phase::Ready {
            flow,
            authenticated,
        } => route(&flow, authenticated),
    });
    let step_progress = Memo::new(move |_| match (phase.get(), screen.get()) {
        (Phase::Ready { flow, .. }, Screen::Step(step)) => Some(progress(&flow, &step)),
        _ => None,
    });

    let (root, shown) = (shell.root, shell.shown);
    let typing = shell.clone();
    listen_to_host(shell.bridge.clone());
    observe_height(root, shell.bridge);
    focus_heading_on_change(root, screen);

    let progress_bar = {
        let locale = locale_signal();
        move || {
            locale.track();
            step_progress
                .get()
                .map(|(current, total)| view! { <ProgressIndicator current=current total=total /> })
        }
    };

    view! {
        <div class="pf-app" node_ref=root data-testid="app" on:input=move |_| typing.keep_alive()>
            <BrandHeader />
            <main class="pf-main">
                {progress_bar}
                <ScreenView phase=phase screen=screen retry=retry drafts=drafts />
            </main>
            <LiveStatus screen=screen step_progress=step_progress shown=shown />
        </div>
    }
}

/// What the shell's session and its services share: copied into each callback and task.
#[derive(Clone)]
struct Shell {
    api: Client,
    bridge: Bridge,
    phase: RwSignal<Phase>,
    token: StoredValue<Option<String>>,
    root: NodeRef<html::Div>,
    /// The action minting the session goes through.
    minting: Sender,
    /// Whether the app shows (the page's own screen is gone): its live region speaks then.
    shown: RwSignal<bool>,
    /// The time, in milliseconds since the epoch.
    now: Rc<dyn Fn() -> f64>,
    /// When the session was last kept alive by typing (or the shell started).
    touched: StoredValue<f64>,
}

impl Shell {
    /// Keeps the session alive while the user types (module docs): a read of the flow's state
    /// when the last was [`KEEP_ALIVE_EVERY_MS`] ago or more. An expired session found so
    /// shows its screen at once, as any request's would.
    fn keep_alive(&self) {
        let now = (self.now)();
        let due = self
            .touched
            .try_get_value()
            .is_some_and(|touched| now - touched >= KEEP_ALIVE_EVERY_MS);
        let ready = self
            .phase
            .try_with_untracked(|p| matches!(p, Phase::Ready { .. }));
        let Some(token) = self.token.try_get_value().flatten() else {
            return;
        };
        if !due || ready != Some(true) {
            return;
        }
        self.touched.try_set_value(now);
        let (call, on_failure) = (self.api.flow_state(token), self.on_failure());
        spawn_local(async move {
            if let Err(failure) = call.await {
                on_failure(&failure);
            }
        });
    }

    /// The flow cannot go on: the host hears why, the error screen shows.
    fn fail(&self, kind: ErrorKind) {
        let bridge = &self.bridge;
        match &kind {
            ErrorKind::SessionExpired => bridge.session_expired(),
            ErrorKind::NetworkDown => bridge.error("the flow could not reach its server"),
            ErrorKind::FlowNotFound => bridge.error("flow not found"),
            ErrorKind::Other(message, _) => bridge.error(message),
        };
        self.phase.try_set(Phase::Failed(kind));
        // The error screen may be the first one (no session): it takes over from the page.
        let this = self.clone();
        spawn_local(async move {
            tick().await;
            this.take_over().await;
        });
    }

    /// Called once the screen just set is drawn: starts the page's hand-over
    /// ([`hand_over_page`]); the future ends when the page's screen is gone, a frame after
    /// which the app's live region announces the screen (hidden, it was unheard; in the same
    /// frame it would enter the accessibility tree already saying it).
    fn take_over(&self) -> impl std::future::Future<Output = ()> + 'static {
        let handing = hand_over_page();
        let shown = self.shown;
        async move {
            if let Some(handing) = handing {
                let _ = handing.await;
            }
            if let Some(page) = document().get_element_by_id(PAGE_SCREEN) {
                page.remove();
            }
            request_animation_frame(move || {
                shown.try_set(true);
            });
        }
    }

    /// An expired session ends the flow; other failures stay with the step, which offers a
    /// retry.
    fn on_failure(&self) -> Rc<dyn Fn(&ApiFailure)> {
        let (this, phase) = (self.clone(), self.phase);
        Rc::new(move |failure: &ApiFailure| {
            // Several calls may fail at once; the host hears about the expiry once.
            let already =
                phase.try_with_untracked(|p| matches!(p, Phase::Failed(ErrorKind::SessionExpired)));
            if ErrorKind::from_failure(failure) == ErrorKind::SessionExpired
                && already == Some(false)
            {
                this.fail(ErrorKind::SessionExpired);
            }
        })
    }

    /// What the steps may use ([`FlowServices`]), acting for this session.
    /// "Go to dashboard": the host hears `exit`; standalone, `go_back` too, if there is one.
    fn go_to_dashboard(&self, embedded: bool, go_back: Option<Rc<dyn Fn()>>) -> Rc<dyn Fn()> {
        let bridge = self.bridge.clone();
        Rc::new(move || {
            bridge.exit();
            if let Some(go_back) = go_back.as_ref().filter(|_| !embedded) {
                go_back();
            }
        })
    }

    /// What the steps may use ([`FlowServices`]), acting for this session.
    fn services(&self, navigate: Navigate, go_to_dashboard: Option<Rc<dyn Fn()>>) -> FlowServices {
        let (phase, token) = (self.phase, self.token);
        let on_failure = self.on_failure();
        let current_token = move || token.try_get_value().flatten().unwrap_or_default();
        let complete_step = {
            let (api, on_failure) = (self.api.clone(), on_failure.clone());
            Rc::new(move |step: StepName| {
                let on_failure = on_failure.clone();
                let pending = api.complete_step(current_token(), step);
                Box::pin(async move {
                    let result = pending.await;
                    if let Err(failure) = &result {
                        on_failure(failure);
                    }
                    result
                }) as LocalFuture<Result<FlowState, ApiFailure>>
            })
        };
        let session_api =
            SessionApi::new(self.api.clone(), current_token, move |f: &ApiFailure| {
                on_failure(f)
            });
        // Signed in: the session now acts for the user; route on the flow as it now is.
        let signed_in = Rc::new(move |flow: FlowState| {
            phase.try_update(|phase| {
                if let Phase::Ready {
                    flow: current,
                    authenticated,
                } = phase
                {
                    *current = flow;
                    *authenticated = true;
                }
            });
        });
        // A step recorded and seen through: route on the flow's new state.
        let advance = Rc::new(move |flow: FlowState| {
            phase.try_update(|phase| {
                if let Phase::Ready { flow: current, .. } = phase {
                    *current = flow;
                }
            });
        });
        FlowServices {
            bridge: self.bridge.clone(),
            complete_step,
            api: session_api,
            advance,
            signed_in,
            sleep: Rc::new(browser_sleep),
            navigate,
            go_to_dashboard,
        }
    }

    /// Mints the session for `flow_id`, connects the host and shows the flow's first screen.
    fn load(&self, flow_id: Option<Uuid>, host: &HostWindow) {
        self.mint(flow_id, host, true);
    }

    /// [`Shell::load`]; `again`: a session that ended (a resume cookie past its session, which
    /// the server clears as it answers) is followed by one fresh start, as "Start again" would.
    fn mint(&self, flow_id: Option<Uuid>, host: &HostWindow, again: bool) {
        let Some(flow_id) = flow_id else {
            self.bridge.load_error(host, LoadErrorType::FlowNotFound);
            self.fail(ErrorKind::FlowNotFound);
            return;
        };
        self.phase.set(Phase::Loading);
        let new = NewSession {
            flow_id,
            host_origin: host.candidate_origin.as_ref().map(Origin::to_string),
        };
        let (this, host) = (self.clone(), host.clone());
        self.minting
            .send(self.api.create_session(new), move |answer| {
                let session = match answer {
                    Ok(session) => session,
                    // Before a session the host origin is unconfirmed: only `load_error` goes out,
                    // to the page the browser says frames the flow.
                    Err(failure) => {
                        let kind = ErrorKind::from_failure(&failure);
                        if again && kind.restartable() {
                            return this.mint(Some(flow_id), &host, false);
                        }
                        // Every failure has its type: a host that heard nothing would wait
                        // for its load check and then blame its own origin.
                        let error = match kind {
                            ErrorKind::FlowNotFound => LoadErrorType::FlowNotFound,
                            ErrorKind::NetworkDown => LoadErrorType::NetworkError,
                            ErrorKind::SessionExpired | ErrorKind::Other(..) => {
                                LoadErrorType::Unavailable
                            }
                        };
                        this.bridge.load_error(&host, error);
                        return this.fail(kind);
                    }
                };
                this.token.try_set_value(Some(session.token));
                // Connected before the first screen mounts, so nothing a step posts is lost; the
                // bridge holds it until `ready`.
                let host_origin = session.host_origin.as_deref().and_then(Origin::parse);
                this.bridge.connect(&host, host_origin);
                this.phase.try_set(Phase::Ready {
                    flow: session.flow,
                    authenticated: session.authenticated,
                });
                // Let the first screen render (and take over from the page) before telling the
                // host it is ready, with its height.
                // The host hears `ready` then, not when the page's screen goes (which waits
                // while someone is in its form); the height once the app shows (else the
                // resize observer sends it as the app appears).
                spawn_local(async move {
                    tick().await;
                    let shown = this.take_over();
                    this.bridge.ready();
                    if document().get_element_by_id(PAGE_SCREEN).is_none() {
                        if let Some(height) = this.measure() {
                            this.bridge.resize(height);
                        }
                    }
                    shown.await;
                });
            });
    }

    /// The app's height, for `resize`.
    fn measure(&self) -> Option<u32> {
        // try_: the app may be unmounted while a request is in flight.
        self.root
            .try_get_untracked()
            .flatten()
            .map(|el| el.get_bounding_client_rect().height().ceil() as u32)
    }
}

/// The screen the router picks, in the current locale.
#[component]
fn ScreenView(
    /// Where the session stands.
    phase: RwSignal<Phase>,
    /// The routed screen.
    screen: Memo<Screen>,
    /// Mints the session again (error screens' retry and restart).
    retry: UnsyncCallback<()>,
    /// What was typed on the screen, kept while it is drawn again in another language.
    drafts: Drafts,
) -> impl IntoView {
    let shown = StoredValue::new(None::<Screen>);
    // Each screen draws itself again in a new language ([`localized`]), keeping its state; what
    // was typed in a part it draws again is kept in `drafts`, which a new screen starts without.
    move || {
        let screen = screen.get();
        if shown.get_value().as_ref() != Some(&screen) {
            drafts.clear();
            shown.set_value(Some(screen.clone()));
        }
        match screen {
            Screen::Loading => localized(|| view! { <LoadingScreen /> }).into_any(),
            Screen::Error(kind) => localized(move || {
                view! { <ErrorScreen kind=kind.clone() on_retry=retry on_restart=retry /> }
            })
            .into_any(),
            Screen::SignIn => {
                let payee_phone = match phase.get_untracked() {
                    Phase::Ready { flow, .. } => flow.payee_phone,
                    _ => None,
                };
                view! { <AuthStep payee_phone=payee_phone /> }.into_any()
            }
            Screen::Step(step) => {
                // The flow as it is when the step mounts; a step that stays on screen while the
                // flow changes (hide_continue_button) is not re-created.
                let flow = match phase.get_untracked() {
                    Phase::Ready { flow, .. } => flow,
                    _ => return view! { <LoadingScreen /> }.into_any(),
                };
                view! { <StepView step=step flow=flow /> }.into_any()
            }
            Screen::Done {
                show_dashboard_button,
            } => localized(move || {
                view! { <DoneScreen show_dashboard_button=show_dashboard_button /> }
            })
            .into_any(),
        }
    }
}

/// The polite live region announcing each screen ("Step 2 of 4: …").
#[component]
fn LiveStatus(
    /// The routed screen.
    screen: Memo<Screen>,
    /// The current step's place in the flow, on a step.
    step_progress: Memo<Option<(usize, usize)>>,
    /// Whether the app shows: hidden behind the page's screen it says nothing, so that the
    /// first screen is announced as the app appears.
    shown: RwSignal<bool>,
) -> impl IntoView {
    let locale = locale_signal();
    let announce = move || {
        locale.track();
        if !shown.get() {
            return String::new();
        }
        match screen.get() {
            Screen::Loading => t!(loading_title).to_owned(),
            Screen::Error(kind) => error_title(&kind).to_owned(),
            Screen::SignIn => t!(sign_in_title).to_owned(),
            Screen::Step(step) => {
                let (current, total) = step_progress.get().unwrap_or((1, 1));
                t!(live_step, current, total, title = step_title(step.name()))
            }
            Screen::Done { .. } => t!(done_title).to_owned(),
        }
    };
    view! {
        <div class="pf-visually-hidden" role="status" aria-live="polite" data-testid="live-status">
            {announce}
        </div>
    }
}

/// Listens for the host's window messages ([`HostMessage`]) while the app is mounted, taking only
/// those the bridge says came from the connected host ([`Bridge::is_from_host`]): `set_locale`
/// switches the language; an unknown locale is ignored (a console warning for the host's
/// developers, nothing for the user).
fn listen_to_host(bridge: Bridge) {
    let listener =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if !bridge.is_from_host(&event) {
                return;
            }
            match HostMessage::from_data(&event.data()) {
                Some(HostMessage::SetLocale(tag)) => match parse_locale(&tag) {
                    Some(locale) => switch_locale(locale),
                    None => {
                        warn!("payout-flows: set_locale: {tag:?} is not a language of this flow")
                    }
                },
                None => {}
            }
        });
    let window = window();
    if window
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .is_ok()
    {
        let keep = SendWrapper::new((window, listener));
        on_cleanup(move || {
            let (window, listener) = &*keep;
            let _ = window
                .remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        });
    }
}

/// Shows the flow in `locale`, keeping focus where it was: the screen draws itself again, and
/// the element with the focused one's id (a field, a button with an id) takes focus back.
fn switch_locale(locale: Locale) {
    let focused = document()
        .active_element()
        .map(|el| el.id())
        .filter(|id| !id.is_empty());
    set_locale(locale);
    if let Some(id) = focused {
        focus_id_soon(id);
    }
}

/// Posts `resize` with the app's height whenever it changes (a `ResizeObserver` on the root).
fn observe_height(root: NodeRef<html::Div>, bridge: Bridge) {
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let Some(el) = root.get() else {
            return false;
        };
        let target = el.clone();
        let bridge = bridge.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            // Hidden behind the page's screen the app has no height to tell: it tells it as
            // it appears (the observer sees that change too).
            if document().get_element_by_id(PAGE_SCREEN).is_some() {
                return;
            }
            bridge.resize(target.get_bounding_client_rect().height().ceil() as u32);
        });
        match web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            Ok(observer) => {
                observer.observe(&el);
                let keep = SendWrapper::new((observer, callback));
                on_cleanup(move || keep.0.disconnect());
            }
            Err(e) => warn!("payout-flows: no ResizeObserver, resize messages off: {e:?}"),
        }
        true
    });
}

/// Moves focus to the new screen's heading when the screen changes — but not for the first
/// screen, so opening the flow never pulls focus (or the host page's scroll) into the frame.
fn focus_heading_on_change(root: NodeRef<html::Div>, screen: Memo<Screen>) {
    let first_shown = StoredValue::new(false);
    Effect::new(move |_| {
        if screen.get() == Screen::Loading {
            return;
        }
        if !first_shown.get_value() {
            first_shown.set_value(true);
            return;
        }
        request_animation_frame(move || {
            let heading = root
                .try_get_untracked()
                .flatten()
                .and_then(|el| el.query_selector("main h1").ok().flatten())
                .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(heading) = heading {
                let _ = heading.focus();
            }
        });
    });
}

/// Where the flow page keeps its hand-over (`index.html`): a function that removes the page's
/// own screen, moving what it holds to the app's elements (typing, focus and caret, a press of
/// "Send code").
const HAND_OVER: &str = "__payoutFlowsHandOver";

/// The app's first screen is drawn: starts the page's hand-over, which removes the page's own
/// screen (the app is hidden behind it until then, style/main.css), at once or, while someone
/// is in the page's form, at their next step; `None` when the page has none. Its future ends
/// when the page's screen is gone.
fn hand_over_page() -> Option<wasm_bindgen_futures::JsFuture> {
    let window: JsValue = window().into();
    let hand_over = js_sys::Reflect::get(&window, &JsValue::from_str(HAND_OVER))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())?;
    match hand_over.call0(&JsValue::NULL) {
        Ok(done) => done
            .dyn_into::<js_sys::Promise>()
            .ok()
            .map(wasm_bindgen_futures::JsFuture::from),
        Err(e) => {
            warn!("payout-flows: the page's hand-over failed: {e:?}");
            None
        }
    }
}

/// The element id of the page's own screen (`index.html`).
const PAGE_SCREEN: &str = "pf-boot";

/// How often typing keeps the session alive, in milliseconds: well inside the server's 30 idle
/// minutes (`SESSION_TTL_MINUTES`), and rare enough to cost nothing.
pub const KEEP_ALIVE_EVERY_MS: f64 = 5.0 * 60.0 * 1000.0;

/// Leaves for `url`: this window when standalone, the top window when embedded. A cross-origin
/// frame may not navigate the top window without a user gesture; the browser then refuses and
/// the host SDK (on `redirect`) or the Continue link takes over. `location.href` is set rather
/// than `assign()` because only the `href` setter is allowed on a cross-origin `Location`.
fn navigate_away(url: &str, embedded: bool) {
    let window = window();
    let result = if embedded {
        match window.top() {
            Ok(Some(top)) => top.location().set_href(url),
            Ok(None) => Err(JsValue::from_str("no top window")),
            Err(e) => Err(e),
        }
    } else {
        window.location().assign(url)
    };
    if let Err(e) = result {
        warn!(
            "payout-flows: could not open {url} ({e:?}); the host or the Continue link takes over"
        );
    }
}

/// Resolves after `duration` (a [`crate::api::Timer`], cleared if the wait is dropped first);
/// at once where there is no timer (the caller waits again anyway).
fn browser_sleep(duration: Duration) -> LocalFuture<()> {
    let timer = crate::api::Timer::after(duration);
    Box::pin(async move {
        if let Some(timer) = timer {
            timer.await;
        }
    })
}

/// Standalone "Go to dashboard": back to the page that opened the flow.
fn go_back() {
    if let Ok(history) = window().history() {
        let _ = history.back();
    }
}
