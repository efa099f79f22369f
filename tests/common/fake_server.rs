//! The fake server of the browser tests, as HTTP: requests routed by the endpoint declarations
//! ([`payout_model::endpoint::find`]) to handlers that answer status and JSON text as the
//! sandbox does — the same error codes, the messages tests check, 204s, the step rules of
//! [`payout_model::capability`] (issue 9, "Tests that tell the truth"). The browser tests send
//! the app's real client over it (tests/common/mod.rs); `crates/sandbox/tests/fake_contract.rs`
//! sends a table of requests to it and to the sandbox and compares what comes back.
//!
//! Pure Rust on purpose (no web-sys, no payout-flows): it compiles for wasm32 and natively.
#![allow(dead_code)]

use payout_model::capability::{Denial, FlowAction};
use payout_model::endpoint::{self, Method};
use payout_model::identity::{
    check_document, mask_phone, BackgroundCheck, BackgroundCheckStatus, CodeCheck, CodeSent,
    Compliance, DocumentSide, IdVerification, NewBackgroundCheck, NewCode, NewCompliance,
    NewProfile, SignIn, Submitted, UploadedDocument, VerificationStatus, CODE_MAX_ATTEMPTS,
};
use payout_model::money::{
    AccountType, BankAccount, BankAccountList, ExternalData, FeeParty, FlowWallet, NewBankAccount,
    NewFlowPayout, NewPayoutMethod, PayoutBlock, PayoutMethod, PayoutMethodList, PayoutQuote,
    StatusChange, Transaction, TransactionType, Transfer, TransferStatus, TransferType,
    DEFAULT_MIN_FLOW_PAYOUT,
};
use payout_model::rule::Rule;
use payout_model::{
    ApiError, ErrorCode, FieldError, FlowState, NewSession, Reason, Session, StepName, Timestamp,
    Validate,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use uuid::Uuid;

/// The one-time code the sandbox accepts (its `test_values::SANDBOX_CODE`; the contract test
/// checks they agree).
pub const SANDBOX_CODE: &str = "000000";
/// The SSN whose background check fails (the sandbox's `test_values::SANDBOX_FAILING_SSN`).
pub const SANDBOX_FAILING_SSN: &str = "111-11-1111";

/// Whether the sandbox completes payouts on `platform` at once (ACH stays pending), as its
/// `test_values::completes_at_once` says.
pub fn completes_at_once(platform: payout_model::money::PayoutPlatform) -> bool {
    !matches!(platform, payout_model::money::PayoutPlatform::Ach)
}

/// The token of every session the fake mints.
pub const TOKEN: &str = "tok";

/// The user every signed-in session of the fake acts for.
pub const USER_ID: u128 = 7;

/// What a request carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Nothing.
    None,
    /// JSON text (sent as `application/json`).
    Json(String),
    /// An image's bytes with its `Content-Type`.
    Image {
        /// The declared type.
        content_type: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// One request as it reaches the server.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path (no query).
    pub path: String,
    /// The bearer token.
    pub token: Option<String>,
    /// The body.
    pub body: Body,
}

/// What the server answers: status and body text (empty for a 204).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Response {
    /// 200 with `value` as JSON.
    pub fn json<T: Serialize>(value: &T) -> Self {
        Response {
            status: 200,
            body: serde_json::to_string(value).expect("serializable"),
        }
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        Response {
            status: 204,
            body: String::new(),
        }
    }

    /// The error envelope `error`, with the status its code is sent with.
    pub fn error(error: &ApiError) -> Self {
        Response {
            status: error.code.status(),
            body: serde_json::to_string(error).expect("serializable"),
        }
    }
}

/// An answer, or `Err` when none comes (the network failed) with the browser's text.
pub type Reply = Result<Response, String>;

/// A scripted answer for the next request to an endpoint.
#[derive(Clone, Debug)]
pub enum Script {
    /// The server answers this without doing anything.
    Refuse(Reply),
    /// The server does the work, but the app gets this instead (the answer was lost).
    LoseAnswer(Reply),
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The endpoint's declared name (`create_flow_payout`), or `unknown`.
    pub name: &'static str,
    /// `METHOD /path`.
    pub line: String,
    /// The bearer token.
    pub token: Option<String>,
    /// The JSON body, if any.
    pub body: Option<String>,
}

type Answer = Result<Response, ApiError>;

/// 422 naming `field`, which broke `rule` (in the rule's English wire text, as the sandbox).
pub fn invalid(field: &str, rule: Rule) -> ApiError {
    ApiError::invalid(vec![FieldError::broke(field, rule)])
}

/// 422 naming `field`, which broke `rule`, in words of its own (as the sandbox details some).
pub fn invalid_saying(field: &str, rule: Rule, message: &str) -> ApiError {
    ApiError::invalid(vec![FieldError::new(field, message).with_rule(rule)])
}

fn conflict(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
}

fn not_found(message: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, message)
}

/// The fake's wallet: read and replaced whole, as a `Cell` of a `Copy` value would be
/// (`FlowWallet` holds a payout link's memo, so it is not `Copy`).
#[derive(Debug)]
pub struct WalletCell(RefCell<FlowWallet>);

impl WalletCell {
    /// The wallet as it is now.
    pub fn get(&self) -> FlowWallet {
        self.0.borrow().clone()
    }

    /// Replaces the wallet.
    pub fn set(&self, wallet: FlowWallet) {
        *self.0.borrow_mut() = wallet;
    }
}

/// The flow-facing endpoints in memory: a flow, its user's wallet, methods, bank accounts,
/// transfers, sign-in, compliance, ID verification and background check. Fields are public so
/// a test sets up what it needs and reads what was sent.
pub struct FakeServer {
    /// The flow the session is for.
    pub flow: RefCell<FlowState>,
    /// What `POST /api/flow/sessions` answers, in order; when empty, a session of [`Self::flow`]
    /// (signed in when the flow has a user).
    pub sessions: RefCell<VecDeque<Reply>>,
    /// Scripted answers: the first whose endpoint name matches is used once.
    pub scripts: RefCell<Vec<(&'static str, Script)>>,
    /// Every request, in order.
    pub log: RefCell<Vec<Logged>>,
    /// The time (the browser's clock in the browser tests).
    pub clock: Box<dyn Fn() -> Timestamp>,
    skew: Cell<chrono::Duration>,
    next_id: Cell<u128>,

    // Money.
    /// The user's wallet.
    pub wallet: WalletCell,
    /// Payout methods, oldest first.
    pub methods: RefCell<Vec<PayoutMethod>>,
    /// Bank accounts, oldest first.
    pub banks: RefCell<Vec<BankAccount>>,
    /// Payouts made, with the body that made each.
    pub transfers: RefCell<Vec<(NewFlowPayout, Transfer)>>,
    /// Statuses `GET transfers/{id}` moves the transfer to, one per request.
    pub next_statuses: RefCell<VecDeque<TransferStatus>>,
    /// Every payout body received.
    pub payouts: RefCell<Vec<NewFlowPayout>>,
    /// Every payout method body received.
    pub added_methods: RefCell<Vec<NewPayoutMethod>>,
    /// Every bank account body received.
    pub added_banks: RefCell<Vec<NewBankAccount>>,

    // Identity.
    /// National numbers that belong to a user already (others need a profile).
    pub known_phones: RefCell<Vec<String>>,
    /// The resend cooldown each sent code gets.
    pub resend_seconds: Cell<i64>,
    /// Every code request received.
    pub codes: RefCell<Vec<NewCode>>,
    /// When the last code was sent (the resend cooldown runs from it).
    last_code_at: Cell<Option<Timestamp>>,
    /// The last code's number (country code, digits) and answer: asked again within the
    /// cooldown before any try, it is answered again, as the sandbox does.
    last_sent: RefCell<Option<((String, String), CodeSent)>>,
    /// A new phone was verified: a profile may be created.
    profile_allowed: Cell<bool>,
    /// Wrong tries at the last code.
    wrong_codes: Cell<u32>,
    /// Every profile received.
    pub profiles: RefCell<Vec<NewProfile>>,
    /// The compliance record.
    pub compliance: RefCell<Option<Compliance>>,
    /// Every compliance body received.
    pub compliance_bodies: RefCell<Vec<NewCompliance>>,
    /// Pictures uploaded since the last decision.
    pub documents: RefCell<Vec<UploadedDocument>>,
    /// Where ID verification stands (a user verified in an earlier flow).
    pub current: Cell<VerificationStatus>,
    /// The decision a submit gets.
    pub decision: Cell<VerificationStatus>,
    /// Every background check body received.
    pub checks: RefCell<Vec<NewBackgroundCheck>>,
    /// The latest background check run.
    pub check: RefCell<Option<BackgroundCheck>>,
}

impl FakeServer {
    /// A fake for `flow`, telling time by `clock`, with an empty wallet.
    pub fn new(flow: FlowState, clock: impl Fn() -> Timestamp + 'static) -> Self {
        FakeServer {
            flow: RefCell::new(flow),
            sessions: RefCell::default(),
            scripts: RefCell::default(),
            log: RefCell::default(),
            clock: Box::new(clock),
            skew: Cell::new(chrono::Duration::zero()),
            next_id: Cell::new(100),
            wallet: WalletCell(RefCell::new(FlowWallet {
                amount: 0,
                withdrawable_amount: 0,
                minimum_payout: DEFAULT_MIN_FLOW_PAYOUT,
                payout_block: None,
                payout_link: None,
                payout: None,
            })),
            methods: RefCell::default(),
            banks: RefCell::default(),
            transfers: RefCell::default(),
            next_statuses: RefCell::default(),
            payouts: RefCell::default(),
            added_methods: RefCell::default(),
            added_banks: RefCell::default(),
            known_phones: RefCell::default(),
            resend_seconds: Cell::new(30),
            codes: RefCell::default(),
            last_code_at: Cell::new(None),
            last_sent: RefCell::new(None),
            profile_allowed: Cell::new(false),
            wrong_codes: Cell::new(0),
            profiles: RefCell::default(),
            compliance: RefCell::default(),
            compliance_bodies: RefCell::default(),
            documents: RefCell::default(),
            current: Cell::new(VerificationStatus::NotStarted),
            decision: Cell::new(VerificationStatus::Verified),
            checks: RefCell::default(),
            check: RefCell::default(),
        }
    }

    /// A fresh id.
    pub fn id(&self) -> Uuid {
        self.next_id.set(self.next_id.get() + 1);
        Uuid::from_u128(self.next_id.get())
    }

    fn now(&self) -> Timestamp {
        (self.clock)() + self.skew.get()
    }

    /// Moves the server's time `seconds` ahead: time the test let pass for the app (its sleeps
    /// fired) passes for the server too.
    pub fn later(&self, seconds: i64) {
        self.skew
            .set(self.skew.get() + chrono::Duration::seconds(seconds));
    }

    /// Answers the next request to endpoint `name` with `script`.
    pub fn script(&self, name: &'static str, script: Script) {
        self.scripts.borrow_mut().push((name, script));
    }

    /// How many requests were logged as `what`: an endpoint name or a `METHOD /path` line.
    pub fn count(&self, what: &str) -> usize {
        self.log
            .borrow()
            .iter()
            .filter(|l| l.name == what || l.line == what)
            .count()
    }

    /// A payout method of the user, the default when it is the first; `label` as the sandbox
    /// words it (`PayPal · ada@example.com`, `ACH · checking ••••6789`), its data fields read
    /// from it.
    pub fn add_method(&self, platform: payout_model::money::PayoutPlatform, label: &str) -> Uuid {
        let id = self.id();
        let mut methods = self.methods.borrow_mut();
        let default = methods.is_empty();
        let shown = label.split_once(" · ").map_or(label, |(_, rest)| rest);
        let (account_type, account) = match shown.split_once(' ') {
            Some(("checking", rest)) => (Some(AccountType::Checking), rest),
            Some(("savings", rest)) => (Some(AccountType::Savings), rest),
            _ => (None, shown),
        };
        methods.push(PayoutMethod {
            id,
            platform,
            default,
            label: label.to_owned(),
            account: account.to_owned(),
            account_type,
            created: self.now(),
        });
        id
    }

    /// A checking account of the user ending in `last4`.
    pub fn add_bank(&self, last4: &str) -> Uuid {
        let id = self.id();
        self.banks.borrow_mut().push(BankAccount {
            id,
            routing_number: "011000015".into(),
            account_number_last4: last4.into(),
            account_type: AccountType::Checking,
            created: self.now(),
        });
        id
    }

    /// Answers `request`, as the sandbox would (or as scripted).
    pub fn handle(&self, request: &Request) -> Reply {
        let info = endpoint::find(request.method.as_str(), &request.path);
        let name = info.map_or("unknown", |i| i.name);
        self.log.borrow_mut().push(Logged {
            name,
            line: format!("{} {}", request.method.as_str(), request.path),
            token: request.token.clone(),
            body: match &request.body {
                Body::Json(text) => Some(text.clone()),
                _ => None,
            },
        });
        self.keep_body(name, &request.body);
        let script = {
            let mut scripts = self.scripts.borrow_mut();
            scripts
                .iter()
                .position(|(n, _)| *n == name)
                .map(|i| scripts.remove(i).1)
        };
        match script {
            Some(Script::Refuse(reply)) => return reply,
            Some(Script::LoseAnswer(reply)) => {
                let _ = self.route(name, request);
                return reply;
            }
            None => {}
        }
        if name == "create_session" {
            if let Some(reply) = self.sessions.borrow_mut().pop_front() {
                return reply;
            }
        }
        Ok(self
            .route(name, request)
            .unwrap_or_else(|e| Response::error(&e)))
    }

    /// Keeps what a form sent, for the test to read, whatever the answer (scripted or not).
    fn keep_body(&self, name: &str, body: &Body) {
        let Body::Json(text) = body else {
            return;
        };
        fn push<T: DeserializeOwned>(into: &RefCell<Vec<T>>, text: &str) {
            if let Ok(value) = serde_json::from_str(text) {
                into.borrow_mut().push(value);
            }
        }
        match name {
            "send_code" => push(&self.codes, text),
            "create_profile" => push(&self.profiles, text),
            "submit_compliance" => push(&self.compliance_bodies, text),
            "run_background_check" => push(&self.checks, text),
            "add_flow_payout_method" => push(&self.added_methods, text),
            "add_flow_bank_account" => push(&self.added_banks, text),
            "create_flow_payout" => push(&self.payouts, text),
            _ => {}
        }
    }

    fn route(&self, name: &str, request: &Request) -> Answer {
        // The path's parameter: the segment the template's `{…}` stands for.
        let param = || -> String {
            let info = endpoint::ALL
                .iter()
                .find(|i| i.name == name)
                .expect("a declared endpoint");
            let at = info
                .path
                .split('/')
                .position(|s| s.starts_with('{'))
                .unwrap_or(0);
            request.path.split('/').nth(at).unwrap_or("").to_owned()
        };
        if name == "create_session" {
            let _: NewSession = json_body(request)?;
            return self.create_session();
        }
        if name == "unknown" {
            return Err(not_found("no such endpoint"));
        }
        if request.token.as_deref() != Some(TOKEN) {
            return Err(ApiError::new(
                ErrorCode::Unauthorized,
                "missing or unknown session token: open the flow link again",
            ));
        }
        match name {
            "get_flow_state" => Ok(Response::json(&*self.flow.borrow())),
            "complete_step" => self.complete_step(&param()),
            "send_code" => self.send_code(json_body(request)?),
            "verify_code" => self.verify_code(json_body(request)?),
            "create_profile" => self.create_profile(json_body(request)?),
            "get_compliance" => {
                self.permit(FlowAction::ReadCompliance)?;
                Ok(Response::json(&*self.compliance.borrow()))
            }
            "submit_compliance" => self.submit_compliance(json_body(request)?),
            "get_id_verification" => {
                self.permit(FlowAction::ReadIdVerification)?;
                Ok(Response::json(&IdVerification {
                    status: self.current.get(),
                    documents: self.documents.borrow().clone(),
                    decided_at: None,
                }))
            }
            "upload_document" => self.upload_document(&param(), &request.body),
            "submit_id_verification" => self.submit_id_verification(),
            "get_background_check" => {
                self.permit(FlowAction::ReadBackgroundCheck)?;
                Ok(Response::json(&*self.check.borrow()))
            }
            "run_background_check" => self.run_background_check(json_body(request)?),
            "get_flow_wallet" => {
                self.permit(FlowAction::ReadWallet)?;
                // The flow's latest payout that stands, as the sandbox answers it.
                let payout = self.transfers.borrow().iter().rev().find_map(|(_, t)| {
                    let undone = matches!(
                        t.status,
                        TransferStatus::Failed
                            | TransferStatus::Canceled
                            | TransferStatus::Reversed
                    );
                    (!undone).then(|| t.clone())
                });
                Ok(Response::json(&FlowWallet {
                    payout,
                    ..self.wallet.get()
                }))
            }
            "get_flow_transfer" => self.get_transfer(&param()),
            "list_flow_payout_methods" => {
                self.permit(FlowAction::ReadPayoutMethods)?;
                Ok(Response::json(&PayoutMethodList {
                    data: self.methods.borrow().clone(),
                }))
            }
            "add_flow_payout_method" => self.add_payout_method(json_body(request)?),
            "remove_flow_payout_method" => self.remove_payout_method(&param()),
            "make_default_flow_payout_method" => self.make_default(&param()),
            "list_flow_bank_accounts" => {
                self.permit(FlowAction::ReadBankAccounts)?;
                Ok(Response::json(&BankAccountList {
                    data: self.banks.borrow().clone(),
                }))
            }
            "add_flow_bank_account" => self.add_bank_account(json_body(request)?),
            "remove_flow_bank_account" => self.remove_bank_account(&param()),
            "create_flow_payout" => self.create_payout(json_body(request)?),
            _ => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "missing or wrong app credentials: use http basic auth with client_id:api_key",
            )),
        }
    }

    fn create_session(&self) -> Answer {
        let flow = self.flow.borrow().clone();
        Ok(Response::json(&Session {
            token: TOKEN.into(),
            expires_at: self.now() + chrono::Duration::minutes(30),
            authenticated: flow.user_id.is_some(),
            flow,
            host_origin: None,
        }))
    }

    /// 403 `forbidden` unless the session acts for a user.
    fn signed_in(&self) -> Result<(), ApiError> {
        if self.flow.borrow().user_id.is_some() {
            Ok(())
        } else {
            Err(ApiError::refused(Reason::SignInRequired))
        }
    }

    /// The sandbox's `FlowUser::permit`: signed in, and the flow lets a session take `action`.
    fn permit(&self, action: FlowAction) -> Result<StepName, ApiError> {
        self.signed_in()?;
        self.flow.borrow().permits(action).map_err(ApiError::from)
    }

    /// Records `step` completed and answers the flow.
    fn record(&self, step: StepName) -> FlowState {
        let mut flow = self.flow.borrow_mut();
        if !flow.completed_steps.contains(&step) {
            flow.completed_steps.push(step);
        }
        flow.clone()
    }

    fn complete_step(&self, step: &str) -> Answer {
        self.signed_in()?;
        let step: StepName = step
            .parse()
            .map_err(|m: String| invalid_saying("step", Rule::UnknownStep, &m))?;
        let flow = self.flow.borrow().clone();
        if !flow.steps.iter().any(|s| s.name() == step) {
            return Err(conflict(&format!("\"{step}\" is not a step of this flow")));
        }
        if flow.completed_steps.contains(&step) {
            return Ok(Response::json(&flow));
        }
        if matches!(
            step,
            StepName::Compliance | StepName::IdVerification | StepName::BackgroundCheck
        ) {
            return Err(conflict(&format!(
                "\"{step}\" is completed by its own form"
            )));
        }
        if let Some(current) = flow.next_step().map(|s| s.name()) {
            if current != step {
                return Err(conflict(&format!(
                    "\"{step}\" is not the current step; \"{current}\" comes first"
                )));
            }
        }
        let missing = match step {
            StepName::ManagePayouts => self.methods.borrow().is_empty(),
            StepName::ManagePayments => self.banks.borrow().is_empty(),
            StepName::Payout => self.transfers.borrow().is_empty(),
            _ => false,
        };
        if missing {
            return Err(ApiError::refused(Reason::StepNotDone { step }));
        }
        Ok(Response::json(&self.record(step)))
    }

    /// The sandbox's `record_form_step`: the form's step must be the current one.
    fn record_form(&self, step: StepName) -> Result<FlowState, ApiError> {
        let flow = self.flow.borrow().clone();
        if flow.completed_steps.contains(&step) {
            return Ok(flow);
        }
        match flow.next_step().map(|s| s.name()) {
            Some(current) if current == step => Ok(self.record(step)),
            _ => Err(conflict(&format!("\"{step}\" is not the current step"))),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Sign-in

    fn sign_in_open(&self) -> Result<(), ApiError> {
        if self.flow.borrow().user_id.is_some() {
            return Err(ApiError::refused(Reason::AlreadySignedIn));
        }
        Ok(())
    }

    fn send_code(&self, new: NewCode) -> Answer {
        self.sign_in_open()?;
        new.validate()?;
        let now = self.now();
        let cooldown = chrono::Duration::seconds(self.resend_seconds.get());
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let asked = (digits(&new.country_code), digits(&new.phone_number));
        let link_names_payee = self.flow.borrow().payee_phone.is_some();
        let again = self.last_sent.borrow().as_ref().and_then(|(to, sent)| {
            let untried = self.wrong_codes.get() == 0 && sent.resend_at > now;
            (untried && *to == asked && !new.payee_phone && !link_names_payee).then(|| sent.clone())
        });
        if let Some(sent) = again {
            return Ok(Response::json(&sent));
        }
        if let Some(last) = self.last_code_at.get() {
            let wait = last + cooldown - now;
            if wait > chrono::Duration::zero() {
                let retry_after =
                    u32::try_from((wait.num_milliseconds() + 999) / 1000).unwrap_or(u32::MAX);
                return Err(ApiError::refused(Reason::CodeCooldown { retry_after }));
            }
        }
        // The payout link's payee phone, as the sandbox keeps it: the flow shows its last four.
        let (country_code, number) = if new.payee_phone {
            let hint = self.flow.borrow().payee_phone.clone().ok_or_else(|| {
                ApiError::invalid(vec![FieldError::broke("phone_number", Rule::Required)])
            })?;
            (hint.country_code, format!("555000{}", hint.last4))
        } else {
            (new.country_code.clone(), new.phone_number.clone())
        };
        self.last_code_at.set(Some(now));
        self.wrong_codes.set(0);
        let sent = CodeSent {
            sent_to: mask_phone(&country_code, &number),
            country_code,
            last4: payout_model::last4(&number),
            expires_at: now + chrono::Duration::minutes(10),
            resend_at: now + cooldown,
        };
        *self.last_sent.borrow_mut() = Some((asked, sent.clone()));
        Ok(Response::json(&sent))
    }

    fn verify_code(&self, check: CodeCheck) -> Answer {
        self.sign_in_open()?;
        check.validate()?;
        if self.last_code_at.get().is_none() {
            return Err(ApiError::refused(Reason::NoCodeRequested));
        }
        let phone = self
            .codes
            .borrow()
            .last()
            .map(|c| c.phone_number.clone())
            .unwrap_or_default();
        let wrong = self.wrong_codes.get();
        if wrong >= CODE_MAX_ATTEMPTS {
            return Err(invalid("code", Rule::TooManyTries));
        }
        if check.code != SANDBOX_CODE {
            self.wrong_codes.set(wrong + 1);
            return Err(invalid(
                "code",
                match CODE_MAX_ATTEMPTS - wrong - 1 {
                    0 => Rule::TooManyTries,
                    n => Rule::WrongCode { tries_left: n },
                },
            ));
        }
        self.last_code_at.set(None);
        // Used up: never answered again.
        *self.last_sent.borrow_mut() = None;
        if self.known_phones.borrow().contains(&phone) {
            Ok(Response::json(&self.signed_in_now()))
        } else {
            self.profile_allowed.set(true);
            Ok(Response::json(&SignIn::ProfileRequired))
        }
    }

    fn create_profile(&self, new: NewProfile) -> Answer {
        self.sign_in_open()?;
        if !self.profile_allowed.get() {
            return Err(ApiError::refused(Reason::PhoneNotVerified));
        }
        new.validate()?;
        Ok(Response::json(&self.signed_in_now()))
    }

    fn signed_in_now(&self) -> SignIn {
        let mut flow = self.flow.borrow_mut();
        flow.user_id = Some(Uuid::from_u128(USER_ID));
        SignIn::SignedIn { flow: flow.clone() }
    }

    // -----------------------------------------------------------------------------------------
    // Compliance, ID verification, background check

    fn submit_compliance(&self, new: NewCompliance) -> Answer {
        self.permit(FlowAction::SubmitCompliance)?;
        new.as_of(self.now().date_naive()).validate()?;
        let last4 = |v: &Option<String>| v.as_deref().map(payout_model::last4);
        let data = Compliance {
            form: new.form(),
            country: new.country.clone(),
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            date_of_birth: new.date_of_birth.clone(),
            tin_last4: last4(&new.tin),
            foreign_tax_id_last4: last4(&new.foreign_tax_id),
            address: new.address.normalized(),
            submitted_at: self.now(),
        };
        let flow = self.record_form(StepName::Compliance)?;
        *self.compliance.borrow_mut() = Some(data.clone());
        Ok(Response::json(&Submitted { data, flow }))
    }

    fn upload_document(&self, side: &str, body: &Body) -> Answer {
        self.permit(FlowAction::SubmitIdVerification)?;
        let side: DocumentSide = side.parse().map_err(|r: Rule| invalid("side", r))?;
        let field = side.as_str();
        let (content_type, bytes) = match body {
            Body::Image {
                content_type,
                bytes,
            } => (content_type.as_str(), bytes.as_slice()),
            _ => ("", &[][..]),
        };
        check_document(content_type, bytes.len() as u64).map_err(|r| invalid(field, r))?;
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if sniff_image_type(bytes) != Some(content_type.as_str()) {
            return Err(invalid(field, Rule::ImageContent));
        }
        let status = self.current.get();
        if matches!(
            status,
            VerificationStatus::Verified | VerificationStatus::NeedsReview
        ) {
            return Err(ApiError::refused(
                if status == VerificationStatus::Verified {
                    Reason::IdAlreadyVerified
                } else {
                    Reason::IdInReview
                },
            ));
        }
        let document = UploadedDocument {
            side,
            content_type,
            size: bytes.len() as u64,
            uploaded_at: self.now(),
        };
        let mut documents = self.documents.borrow_mut();
        documents.retain(|d| d.side != side);
        documents.push(document.clone());
        Ok(Response::json(&document))
    }

    fn submit_id_verification(&self) -> Answer {
        self.permit(FlowAction::SubmitIdVerification)?;
        let status = match self.current.get() {
            existing @ (VerificationStatus::Verified | VerificationStatus::NeedsReview) => existing,
            _ => {
                let documents = self.documents.borrow();
                let missing: Vec<FieldError> = DocumentSide::ALL
                    .iter()
                    .filter(|side| !documents.iter().any(|d| d.side == **side))
                    .map(|side| FieldError::broke(side.as_str(), Rule::Required))
                    .collect();
                if !missing.is_empty() {
                    return Err(ApiError::invalid(missing));
                }
                self.decision.get()
            }
        };
        // The decision is on file, as the sandbox keeps it.
        self.current.set(status);
        let flow = if status == VerificationStatus::Failed {
            self.flow.borrow().clone()
        } else {
            self.record_form(StepName::IdVerification)?
        };
        let documents = std::mem::take(&mut *self.documents.borrow_mut());
        Ok(Response::json(&Submitted {
            data: IdVerification {
                status,
                documents,
                decided_at: Some(self.now()),
            },
            flow,
        }))
    }

    fn run_background_check(&self, new: NewBackgroundCheck) -> Answer {
        self.permit(FlowAction::SubmitBackgroundCheck)?;
        if self.wallet.get().payout_block.is_some() {
            return Err(ApiError::refused(Reason::CheckAlreadyRun));
        }
        let today = self.now().date_naive();
        // Like the sandbox (issue 8): `{}` runs on the tax details on file.
        let new = match (new.uses_file(), self.compliance.borrow().as_ref()) {
            (true, Some(file)) => NewBackgroundCheck {
                country: file.country.clone(),
                ssn: file
                    .tin_last4
                    .as_ref()
                    .map(|last4| format!("000-00-{last4}")),
                date_of_birth: file.date_of_birth.clone(),
                address: Some(file.address.clone()),
            },
            _ => new,
        };
        if new.uses_file() {
            return Err(invalid("ssn", Rule::Required));
        }
        let on_file = new.ssn.as_deref().is_some_and(|s| s.starts_with("000-00-"));
        if !on_file {
            new.as_of(today).validate()?;
        }
        let reason = new.ineligible(today);
        let status = if reason.is_some() {
            BackgroundCheckStatus::NotEligible
        } else if new.ssn.as_deref() == Some(SANDBOX_FAILING_SSN)
            || (on_file && new.ssn.as_deref() == Some("000-00-1111"))
        {
            BackgroundCheckStatus::Failed
        } else {
            BackgroundCheckStatus::Clear
        };
        let flow = self.record_form(StepName::BackgroundCheck)?;
        if status == BackgroundCheckStatus::Failed {
            // The sandbox flags the user: no more payouts through a flow (issue 8).
            let wallet = self.wallet.get();
            self.wallet.set(FlowWallet {
                payout_block: Some(PayoutBlock::BackgroundCheck),
                ..wallet
            });
        }
        let check = BackgroundCheck {
            status,
            reason,
            ssn_last4: new.ssn.as_deref().map(payout_model::last4),
            completed_at: self.now(),
        };
        *self.check.borrow_mut() = Some(check.clone());
        Ok(Response::json(&Submitted { data: check, flow }))
    }

    // -----------------------------------------------------------------------------------------
    // Money

    fn add_payout_method(&self, new: NewPayoutMethod) -> Answer {
        let through = self.permit(FlowAction::AddPayoutMethod)?;
        if through == StepName::Payout && !self.methods.borrow().is_empty() {
            return Err(Denial::PayoutStepHasMethods.into());
        }
        new.validate()?;
        let mut methods = self.methods.borrow_mut();
        let method = PayoutMethod {
            id: self.id(),
            platform: new.platform(),
            default: methods.is_empty(),
            label: label_of(&new),
            account: new.account_shown(),
            account_type: new.account_type(),
            created: self.now(),
        };
        methods.push(method.clone());
        Ok(Response::json(&method))
    }

    fn method_id(&self, id: &str) -> Result<Uuid, ApiError> {
        let not_found = || not_found("payout method not found");
        let id = Uuid::try_parse(id).map_err(|_| not_found())?;
        if self.methods.borrow().iter().any(|m| m.id == id) {
            Ok(id)
        } else {
            Err(not_found())
        }
    }

    fn remove_payout_method(&self, id: &str) -> Answer {
        self.permit(FlowAction::RemovePayoutMethod)?;
        let id = self.method_id(id)?;
        let mut methods = self.methods.borrow_mut();
        let was_default = methods.iter().any(|m| m.id == id && m.default);
        methods.retain(|m| m.id != id);
        if was_default {
            if let Some(oldest) = methods.first_mut() {
                oldest.default = true;
            }
        }
        Ok(Response::no_content())
    }

    fn make_default(&self, id: &str) -> Answer {
        self.permit(FlowAction::ChooseDefaultPayoutMethod)?;
        let id = self.method_id(id)?;
        let mut methods = self.methods.borrow_mut();
        methods.iter_mut().for_each(|m| m.default = m.id == id);
        Ok(Response::json(&PayoutMethodList {
            data: methods.clone(),
        }))
    }

    fn add_bank_account(&self, new: NewBankAccount) -> Answer {
        self.permit(FlowAction::AddBankAccount)?;
        new.validate()?;
        let number = new.account_number.trim();
        let account = BankAccount {
            id: self.id(),
            routing_number: new.routing_number.trim().to_owned(),
            account_number_last4: payout_model::last4(number),
            account_type: new.account_type,
            created: self.now(),
        };
        self.banks.borrow_mut().push(account.clone());
        Ok(Response::json(&account))
    }

    fn remove_bank_account(&self, id: &str) -> Answer {
        self.permit(FlowAction::RemoveBankAccount)?;
        let not_found = || not_found("bank account not found");
        let id = Uuid::try_parse(id).map_err(|_| not_found())?;
        let mut banks = self.banks.borrow_mut();
        if !banks.iter().any(|a| a.id == id) {
            return Err(not_found());
        }
        banks.retain(|a| a.id != id);
        Ok(Response::no_content())
    }

    fn create_payout(&self, new: NewFlowPayout) -> Answer {
        self.permit(FlowAction::CreatePayout)?;
        let wallet = self.wallet.get();
        if wallet.payout_block.is_some() {
            return Err(ApiError::new(
                ErrorCode::PayoutBlocked,
                "payouts through this flow are not available for this account",
            ));
        }
        // Idempotency, as the sandbox: same key and body → the first transfer.
        if let Some((body, transfer)) = self
            .transfers
            .borrow()
            .iter()
            .find(|(body, _)| body.idempotency_key == new.idempotency_key)
        {
            return if *body == new {
                Ok(Response::json(transfer))
            } else {
                Err(conflict(
                    "idempotency_key was used with a different request",
                ))
            };
        }
        if new.amount < wallet.minimum_payout {
            return Err(invalid(
                "amount",
                Rule::AtLeastAmount {
                    min: wallet.minimum_payout,
                },
            ));
        }
        let method = self
            .methods
            .borrow()
            .iter()
            .find(|m| m.id == new.payout_method_id)
            .cloned()
            .ok_or_else(|| invalid("payout_method_id", Rule::NotYourPayoutMethod))?;
        if new.amount > wallet.withdrawable_amount {
            return Err(invalid(
                "amount",
                Rule::AtMostBalance {
                    balance: wallet.withdrawable_amount,
                },
            ));
        }
        let fee_party = self.flow.borrow().payout_fee_party;
        let quote = PayoutQuote::new(new.amount, method.platform, fee_party)
            .map_err(|r| invalid("amount", r))?;
        let status = if completes_at_once(method.platform) {
            TransferStatus::Completed
        } else {
            TransferStatus::Pending
        };
        self.wallet.set(FlowWallet {
            amount: wallet.amount
                - if status == TransferStatus::Completed {
                    new.amount
                } else {
                    0
                },
            withdrawable_amount: wallet.withdrawable_amount - new.amount,
            ..wallet
        });
        let now = self.now();
        let transfer = Transfer {
            id: self.id(),
            created: now,
            user_id: Some(Uuid::from_u128(USER_ID)),
            amount: new.amount,
            status,
            status_history: vec![
                StatusChange {
                    status: TransferStatus::Created,
                    timestamp: now,
                },
                StatusChange {
                    status,
                    timestamp: now,
                },
            ],
            transactions: self.moves(&quote, fee_party, method.platform, status, now),
            kind: TransferType::Payout,
            external_data: ExternalData {
                account_id: Some(method.id.to_string()),
                external_id: Some(format!("sbx_{}", self.id().simple())),
                platform: Some(method.platform),
                fee: Some(quote.fee),
                payout_fee_party: Some(quote.payout_fee_party),
                net_amount: Some(quote.net_amount),
            },
            metadata: None,
        };
        self.transfers
            .borrow_mut()
            .push((new.clone(), transfer.clone()));
        Ok(Response::json(&transfer))
    }

    /// The ledger moves of a payout, as the sandbox writes them: the fee to the app's fee
    /// account (from whoever pays it), then the net amount to the rail or the user's hold.
    fn moves(
        &self,
        quote: &PayoutQuote,
        party: FeeParty,
        platform: payout_model::money::PayoutPlatform,
        status: TransferStatus,
        now: Timestamp,
    ) -> Vec<Transaction> {
        let (app, user) = ("app:fake", format!("user:{}", Uuid::from_u128(USER_ID)));
        let mut moves = Vec::new();
        let mut add = |source: String, destination: String, amount, kind| {
            moves.push(Transaction {
                id: self.next_id.get() as i64,
                amount,
                created: now,
                source_name: source,
                destination_name: destination,
                kind,
                metadata: None,
            });
            self.next_id.set(self.next_id.get() + 1);
        };
        if quote.fee > 0 {
            let payer = match party {
                FeeParty::User => user.clone(),
                FeeParty::Platform => app.to_owned(),
            };
            add(payer, "fees:fake".into(), quote.fee, TransactionType::Fee);
        }
        let rail = if status == TransferStatus::Completed {
            format!("external:{}", platform.as_str())
        } else {
            format!("hold:{}", Uuid::from_u128(USER_ID))
        };
        add(user, rail, quote.net_amount, TransactionType::Payout);
        moves
    }

    fn get_transfer(&self, id: &str) -> Answer {
        self.permit(FlowAction::ReadTransfer)?;
        let not_found = || not_found("transfer not found");
        let id = Uuid::try_parse(id).map_err(|_| not_found())?;
        let mut transfers = self.transfers.borrow_mut();
        let (_, transfer) = transfers
            .iter_mut()
            .find(|(_, t)| t.id == id)
            .ok_or_else(not_found)?;
        if let Some(status) = self.next_statuses.borrow_mut().pop_front() {
            if status == TransferStatus::Failed && transfer.status == TransferStatus::Pending {
                // The money goes back to the wallet.
                let w = self.wallet.get();
                self.wallet.set(FlowWallet {
                    withdrawable_amount: w.withdrawable_amount + transfer.amount,
                    ..w
                });
            }
            transfer.status = status;
            transfer.status_history.push(StatusChange {
                status,
                timestamp: self.now(),
            });
        }
        Ok(Response::json(&*transfer))
    }
}

/// Reads the JSON body as `T` as the sandbox's `ApiJson` does: 400 `malformed_json` when it is
/// not a JSON object, 422 naming the field when a field is missing or of the wrong kind (the
/// sandbox names the field's path; the fake names a missing field, else `body`).
fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let malformed = |message: String| ApiError::new(ErrorCode::MalformedJson, message);
    let Body::Json(text) = &request.body else {
        return Err(malformed(
            "send the body as json with content-type: application/json".into(),
        ));
    };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| malformed(format!("the body is not valid json: {e}")))?;
    if !value.is_object() {
        return Err(malformed("the body must be a json object".into()));
    }
    serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        let field = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned();
        invalid_saying(&field, Rule::Malformed, &message)
    })
}

/// The label the sandbox gives a payout method.
pub fn label_of(new: &NewPayoutMethod) -> String {
    let account = new.account_shown();
    match new {
        NewPayoutMethod::Ach { account_type, .. } => {
            format!("ACH · {} {account}", account_type.as_str())
        }
        NewPayoutMethod::Paypal { .. } => format!("PayPal · {account}"),
        NewPayoutMethod::Venmo { .. } => format!("Venmo · {account}"),
        NewPayoutMethod::CashApp { .. } => format!("Cash App · {account}"),
    }
}

/// The image type the bytes start like, as the sandbox checks an upload.
fn sniff_image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}
