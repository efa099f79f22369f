//! Every endpoint of the API, declared once: method, path template, who may call it, the
//! request and response types (issue 9, "Contract"). The app's client is one generic call over
//! these declarations, the sandbox mounts its handlers by them, the OpenAPI document
//! (`/api/v2/openapi.json`) is generated from them, and the tests route by them. Adding an
//! endpoint starts here (ARCHITECTURE.md, "Adding an endpoint").
//!
//! A declaration is a zero-sized type implementing [`Endpoint`]; [`ALL`] lists every
//! declaration's [`Info`] in the order of this file, and [`visit`] calls a [`Visitor`] with each
//! declaration as a type (for code that needs the request and response types, such as the
//! OpenAPI generator).

use crate::app::{App, AppList, AppSettings, AppSettingsPatch, NewApp};
use crate::batch::{NewPayoutBatch, PayoutBatch, PayoutBatchItemList, PayoutBatchList};
use crate::capability::FlowAction;
use crate::flow::{Flow, FlowState, NewFlow};
use crate::identity::{
    BackgroundCheck, CodeCheck, CodeSent, Compliance, DocumentSide, IdVerification,
    NewBackgroundCheck, NewCode, NewCompliance, NewProfile, SignIn, Submitted, UploadedDocument,
};
use crate::money::{
    BankAccount, BankAccountList, FlowWallet, NewBankAccount, NewFlowPayout, NewPayout,
    NewPayoutMethod, NewRefill, NewTransfer, PayoutMethod, PayoutMethodList, SimulateTransfer,
    Transfer, TransferList, Wallet,
};
use crate::payout_link::{NewPayoutLink, PayoutLink, PayoutLinkList, SandboxMessageList};
use crate::session::{NewSession, Session};
use crate::step::StepName;
use crate::user::{NewUser, User};
use crate::webhook::{
    DeliveryAttemptList, Event, EventList, NewWebhook, Webhook, WebhookList, WebhookUpdate,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An HTTP method the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Reads; no body.
    Get,
    /// Creates or acts.
    Post,
    /// Replaces (compliance data, an ID picture).
    Put,
    /// Changes some fields (an app's settings, a webhook endpoint).
    Patch,
    /// Removes; answers 204.
    Delete,
}

impl Method {
    /// The method as HTTP spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call an endpoint (DESIGN.md, "Who may do what"). The sandbox's extractor for each
/// caller is the enforcement; the declaration says which one a handler must take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// Anyone holding a flow link: the link's id is the capability.
    Public,
    /// A host app, Basic `client_id:api_key`; its own objects only (another app's ids are 404).
    /// The organization's credentials with `Api-App-Id: <app id>` act as that app.
    App,
    /// The organization, Basic `org_id:org_key` (seed 004, "Create App"): manages its apps.
    /// An app's credentials are refused (403).
    Organization,
    /// A flow session, `Authorization: Bearer <token>` minted from a link: the flow's user only,
    /// through the flow's current step, until the flow is complete.
    FlowSession,
}

impl Caller {
    /// A stable lowercase name (the OpenAPI document's `x-caller`, the docs page).
    pub const fn as_str(self) -> &'static str {
        match self {
            Caller::Public => "public",
            Caller::App => "app",
            Caller::FlowSession => "flow_session",
            Caller::Organization => "organization",
        }
    }

    /// Whether this caller uses the host API (`/api/v2/…`, HTTP Basic).
    pub const fn is_host(self) -> bool {
        matches!(self, Caller::App | Caller::Organization)
    }
}

/// What a request carries as its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// The request type as JSON.
    Json,
    /// An image's bytes with its own `Content-Type` (JPEG, PNG or WebP).
    Image,
}

/// What a success answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// 200 with the response type as JSON.
    Json,
    /// 204, no body.
    NoContent,
}

/// One query parameter of an endpoint: always optional, sent as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryParam {
    /// The parameter's name.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// What an endpoint is, without its types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// The declaration's name in snake case (the OpenAPI `operationId`).
    pub name: &'static str,
    /// One line saying what the endpoint does.
    pub summary: &'static str,
    /// The method.
    pub method: Method,
    /// The path template, axum style: `/api/v2/users/{id}`.
    pub path: &'static str,
    /// Who may call it.
    pub caller: Caller,
    /// The request body.
    pub body: BodyKind,
    /// The success answer.
    pub answer: AnswerKind,
    /// Query parameters, all optional.
    pub query: &'static [QueryParam],
    /// For a flow session's endpoint on the user's data: the action it takes, which only the
    /// steps owning it may ([`FlowAction::owners`]); the handler enforces it.
    pub action: Option<FlowAction>,
}

impl Info {
    /// The path's parameter names, in order: `["id", "method_id"]`.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        let path: &'static str = self.path;
        path.split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }

    /// Whether `method` and `path` (no query) name this endpoint: the path matches the template
    /// segment by segment, a parameter matching any one non-empty segment. A trailing slash is
    /// accepted on the host API (`/api/v2/…`), as Dots hosts send both (seed 004).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if method != self.method.as_str() {
            return false;
        }
        let path = match path.strip_suffix('/') {
            Some(trimmed) if self.caller.is_host() && !trimmed.is_empty() => trimmed,
            _ => path,
        };
        let mut given = path.split('/');
        let mut template = self.path.split('/');
        loop {
            match (given.next(), template.next()) {
                (None, None) => return true,
                (Some(g), Some(t)) if t.starts_with('{') => {
                    if g.is_empty() {
                        return false;
                    }
                }
                (Some(g), Some(t)) if g == t => {}
                _ => return false,
            }
        }
    }

    /// The template with each `{param}` replaced by the next of `values`, in order.
    pub fn fill(&self, values: &[String]) -> String {
        let mut values = values.iter();
        self.path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    values.next().map(String::as_str).unwrap_or(segment)
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The values of an endpoint's path parameters, in template order.
pub trait PathParams {
    /// Each value as it goes in the path.
    fn values(&self) -> Vec<String>;
}

impl PathParams for () {
    fn values(&self) -> Vec<String> {
        Vec::new()
    }
}

impl PathParams for Uuid {
    fn values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl PathParams for String {
    fn values(&self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl PathParams for (Uuid, Uuid) {
    fn values(&self) -> Vec<String> {
        vec![self.0.to_string(), self.1.to_string()]
    }
}

impl PathParams for StepName {
    fn values(&self) -> Vec<String> {
        vec![self.as_str().to_owned()]
    }
}

impl PathParams for DocumentSide {
    fn values(&self) -> Vec<String> {
        vec![self.as_str().to_owned()]
    }
}

/// The request type of an endpoint without a body, and the response type of one that answers
/// 204.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty;

/// The request type of an endpoint whose body is an image's bytes ([`BodyKind::Image`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Image;

/// One endpoint, as a type.
pub trait Endpoint {
    /// What it is.
    const INFO: Info;
    /// Its path parameters.
    type Params: PathParams;
    /// Its request body ([`Empty`] for none, [`Image`] for an image).
    type Request;
    /// Its success answer ([`Empty`] for 204).
    type Response;

    /// The path for `params`.
    fn path(params: &Self::Params) -> String {
        Self::INFO.fill(&params.values())
    }
}

/// The page parameters of a list, newest first (seed 001, "Pagination").
pub const PAGE_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "limit",
        description: "Objects per page, 1 to 100 (default 10).",
    },
    QueryParam {
        name: "starting_after",
        description: "An object id: the page starts after it (older objects).",
    },
    QueryParam {
        name: "ending_before",
        description: "An object id: the page ends before it (newer objects).",
    },
];

/// The transfer list's parameters: a page, optionally of one user's transfers.
pub const TRANSFER_QUERY: &[QueryParam] = &[
    PAGE_QUERY[0],
    PAGE_QUERY[1],
    PAGE_QUERY[2],
    QueryParam {
        name: "user_id",
        description: "Only this user's transfers.",
    },
];

/// The query of the flow-creating endpoints: seed 004 documents each step's option as a query
/// parameter of its flow ("Payout Flow", "Manage Payments Flow"), as well as in the step.
pub const FLOW_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "payout_fee_party",
        description: "Who pays the payout step's fees, `platform` or `user`, as the body's \
                      `payout_fee_party` (both given must agree).",
    },
    QueryParam {
        name: "hide_continue_button",
        description: "`true`: the manage-payments and manage-payouts steps show no Continue, \
                      as their step option `hide_continue_button`.",
    },
];

/// The query of `POST /api/v2/apps/{id}/keys`.
pub const APP_KEY_QUERY: &[QueryParam] = &[QueryParam {
    name: "previous_key_expires_in",
    description: "Seconds the app's other keys keep working, 0 to 86400 (the default, 24 \
                  hours); 0 stops them at once, as for a key that leaked. A key already set to \
                  stop sooner keeps its time.",
}];

/// The payout link list's parameters: a page, optionally of one status.
pub const PAYOUT_LINK_QUERY: &[QueryParam] = &[
    PAGE_QUERY[0],
    PAGE_QUERY[1],
    PAGE_QUERY[2],
    QueryParam {
        name: "status",
        description: "Only links in this status (`created`, `delivered`, `claimed`, `paid`, \
                      `expired`, `canceled`).",
    },
];

macro_rules! body_kind {
    (Empty) => {
        BodyKind::None
    };
    (Image) => {
        BodyKind::Image
    };
    ($other:ty) => {
        BodyKind::Json
    };
}

macro_rules! answer_kind {
    (Empty) => {
        AnswerKind::NoContent
    };
    ($other:ty) => {
        AnswerKind::Json
    };
}

/// Declares every endpoint: a type per endpoint, [`ALL`], and [`visit`].
macro_rules! endpoints {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident ($snake:literal): $method:ident $path:literal by $caller:ident,
        params $params:ty, $req:tt => $resp:tt $(, query $query:expr)? $(, action $action:ident)?;
    )*) => {
        $(
            $(#[doc = $doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name;

            #[allow(unused_parens)]
            impl Endpoint for $name {
                const INFO: Info = Info {
                    name: $snake,
                    summary: concat!($($doc),*).trim_ascii_start(),
                    method: Method::$method,
                    path: $path,
                    caller: Caller::$caller,
                    body: body_kind!($req),
                    answer: answer_kind!($resp),
                    query: endpoints!(@query $($query)?),
                    action: endpoints!(@action $($action)?),
                };
                type Params = $params;
                type Request = $req;
                type Response = $resp;
            }
        )*

        /// Every endpoint's [`Info`], in declaration order.
        pub const ALL: &[Info] = &[$($name::INFO),*];

        /// Calls `visitor` with every endpoint as a type, in declaration order.
        #[cfg(feature = "openapi")]
        pub fn visit(visitor: &mut impl Visitor) {
            $(visitor.visit::<$name>();)*
        }
    };
    (@query $query:expr) => { $query };
    (@query) => { &[] };
    (@action $action:ident) => { Some(FlowAction::$action) };
    (@action) => { None };
}

/// Something done with each endpoint as a type ([`visit`]): the OpenAPI generator.
#[cfg(feature = "openapi")]
pub trait Visitor {
    /// Called once per endpoint.
    fn visit<E>(&mut self)
    where
        E: Endpoint,
        E::Request: utoipa::ToSchema,
        E::Response: utoipa::ToSchema;
}

endpoints! {
    // The flow session's own endpoints (`/api/flow`), called by the app.

    /// Mints a session for the flow whose link was opened (and resumes one by its cookie).
    CreateSession("create_session"): Post "/api/flow/sessions" by Public,
        params (), NewSession => Session;
    /// The flow's steps, which are done, and which is current.
    GetFlowState("get_flow_state"): Get "/api/flow/state" by FlowSession,
        params (), Empty => FlowState;
    /// Records a step the user finished without a form of its own; answers the new state.
    CompleteStep("complete_step"): Post "/api/flow/steps/{step}/complete" by FlowSession,
        params StepName, Empty => FlowState;
    /// Sends a one-time code to a phone (429 inside the resend cooldown).
    SendCode("send_code"): Post "/api/flow/auth/code" by FlowSession,
        params (), NewCode => CodeSent;
    /// Checks the code last sent: signs in, or asks for a profile when the phone is new.
    VerifyCode("verify_code"): Post "/api/flow/auth/verify" by FlowSession,
        params (), CodeCheck => SignIn;
    /// Creates the user of a verified new phone and signs in.
    CreateProfile("create_profile"): Post "/api/flow/auth/profile" by FlowSession,
        params (), NewProfile => SignIn;
    /// The user's compliance data (tax ids reduced to their last four), or null.
    GetCompliance("get_compliance"): Get "/api/flow/compliance" by FlowSession,
        params (), Empty => (Option<Compliance>), action ReadCompliance;
    /// Stores the user's W-9 or W-8BEN data and records the step.
    SubmitCompliance("submit_compliance"): Put "/api/flow/compliance" by FlowSession,
        params (), NewCompliance => (Submitted<Compliance>), action SubmitCompliance;
    /// Where the user's ID verification stands, with the pictures uploaded since the last decision.
    GetIdVerification("get_id_verification"): Get "/api/flow/id-verification" by FlowSession,
        params (), Empty => IdVerification, action ReadIdVerification;
    /// Uploads one picture of the ID (`front`, `back`) or the user (`selfie`).
    UploadDocument("upload_document"): Put "/api/flow/id-verification/documents/{side}" by FlowSession,
        params DocumentSide, Image => UploadedDocument, action SubmitIdVerification;
    /// Asks for a decision on the three uploaded pictures.
    SubmitIdVerification("submit_id_verification"): Post "/api/flow/id-verification/submit" by FlowSession,
        params (), Empty => (Submitted<IdVerification>), action SubmitIdVerification;
    /// The user's latest background check, or null when none ran: what a run whose answer was
    /// lost gave.
    GetBackgroundCheck("get_background_check"): Get "/api/flow/background-check" by FlowSession,
        params (), Empty => (Option<BackgroundCheck>), action ReadBackgroundCheck;
    /// Runs the background check (or answers why it is not needed).
    RunBackgroundCheck("run_background_check"): Post "/api/flow/background-check" by FlowSession,
        params (), NewBackgroundCheck => (Submitted<BackgroundCheck>), action SubmitBackgroundCheck;
    /// The user's balance, the smallest payout the flow accepts, and whether they may pay out.
    GetFlowWallet("get_flow_wallet"): Get "/api/flow/wallet" by FlowSession,
        params (), Empty => FlowWallet, action ReadWallet;
    /// One of the user's transfers, as it is now.
    GetFlowTransfer("get_flow_transfer"): Get "/api/flow/transfers/{id}" by FlowSession,
        params Uuid, Empty => Transfer, action ReadTransfer;
    /// The user's payout methods, oldest first.
    ListFlowPayoutMethods("list_flow_payout_methods"): Get "/api/flow/payout-methods" by FlowSession,
        params (), Empty => PayoutMethodList, action ReadPayoutMethods;
    /// Adds a payout method (the first becomes the default).
    AddFlowPayoutMethod("add_flow_payout_method"): Post "/api/flow/payout-methods" by FlowSession,
        params (), NewPayoutMethod => PayoutMethod, action AddPayoutMethod;
    /// Removes a payout method; a removed default passes to the oldest remaining one.
    RemoveFlowPayoutMethod("remove_flow_payout_method"): Delete "/api/flow/payout-methods/{id}" by FlowSession,
        params Uuid, Empty => Empty, action RemovePayoutMethod;
    /// Makes a payout method the default; answers the whole list.
    MakeDefaultFlowPayoutMethod("make_default_flow_payout_method"): Post "/api/flow/payout-methods/{id}/default" by FlowSession,
        params Uuid, Empty => PayoutMethodList, action ChooseDefaultPayoutMethod;
    /// The user's connected bank accounts, oldest first.
    ListFlowBankAccounts("list_flow_bank_accounts"): Get "/api/flow/bank-accounts" by FlowSession,
        params (), Empty => BankAccountList, action ReadBankAccounts;
    /// Connects a bank account; the answer masks the account number.
    AddFlowBankAccount("add_flow_bank_account"): Post "/api/flow/bank-accounts" by FlowSession,
        params (), NewBankAccount => BankAccount, action AddBankAccount;
    /// Disconnects a bank account.
    RemoveFlowBankAccount("remove_flow_bank_account"): Delete "/api/flow/bank-accounts/{id}" by FlowSession,
        params Uuid, Empty => Empty, action RemoveBankAccount;
    /// Pays out from the user's wallet; the same idempotency key and body answer the same transfer.
    CreateFlowPayout("create_flow_payout"): Post "/api/flow/payouts" by FlowSession,
        params (), NewFlowPayout => Transfer, action CreatePayout;

    // The host API (`/api/v2`, Dots v2 shapes), called by the host app's server.

    /// Creates a user of the calling app (seed 004, "Create a User").
    CreateUser("create_user"): Post "/api/v2/users" by App,
        params (), NewUser => User;
    /// A user of the calling app.
    GetUser("get_user"): Get "/api/v2/users/{id}" by App,
        params Uuid, Empty => User;
    /// Creates a flow and its link (seed 004, "Create a Flow").
    CreateFlow("create_flow"): Post "/api/v2/flows" by App,
        params (), NewFlow => Flow, query FLOW_QUERY;
    /// Creates a flow, as `POST /api/v2/flows` (seed 000's "Example Flow" path, under `/api`).
    CreateFlowV2Create("create_flow_flow_create"): Post "/api/v2/flow/create" by App,
        params (), NewFlow => Flow, query FLOW_QUERY;
    /// Creates a flow, as `POST /api/v2/flows` (seed 000's "Example Flow" path, verbatim).
    CreateFlowSeed000("create_flow_seed_000"): Post "/v2/flow/create" by App,
        params (), NewFlow => Flow, query FLOW_QUERY;
    /// A flow of the calling app, with the steps done so far.
    GetFlow("get_flow"): Get "/api/v2/flows/{id}" by App,
        params Uuid, Empty => Flow;
    /// The calling app's events, newest first: the old name of `GET /api/v2/events`, kept for
    /// hosts that read it (issue 10; a failed background check is now a `user.updated` event
    /// with `has_criminal_activity`).
    ListNotifications("list_notifications"): Get "/api/v2/notifications" by App,
        params (), Empty => EventList, query PAGE_QUERY;
    /// The calling app's wallet.
    GetAppWallet("get_app_wallet"): Get "/api/v2/wallet" by App,
        params (), Empty => Wallet;
    /// A user's wallet.
    GetUserWallet("get_user_wallet"): Get "/api/v2/users/{id}/wallet" by App,
        params Uuid, Empty => Wallet;
    /// Moves money between the app's wallet and a user's (seed 001, "Create a Transfer").
    CreateTransfer("create_transfer"): Post "/api/v2/transfers" by App,
        params (), NewTransfer => Transfer;
    /// The calling app's transfers, newest first.
    ListTransfers("list_transfers"): Get "/api/v2/transfers" by App,
        params (), Empty => TransferList, query TRANSFER_QUERY;
    /// A transfer of the calling app.
    GetTransfer("get_transfer"): Get "/api/v2/transfers/{id}" by App,
        params Uuid, Empty => Transfer;
    /// Cancels a transfer that has not completed.
    CancelTransfer("cancel_transfer"): Post "/api/v2/transfers/{id}/cancel" by App,
        params Uuid, Empty => Transfer;
    /// Reverses a completed transfer.
    ReverseTransfer("reverse_transfer"): Post "/api/v2/transfers/{id}/reverse" by App,
        params Uuid, Empty => Transfer;
    /// Sandbox only: adds money to the app's wallet.
    CreateRefill("create_refill"): Post "/api/v2/sandbox/refills" by App,
        params (), NewRefill => Transfer;
    /// Sandbox only: moves a transfer along its lifecycle (`flagged`, `pending`, `completed`,
    /// `failed`, `reversed`, `canceled`).
    SimulateTransferStatus("simulate_transfer"): Post "/api/v2/sandbox/transfers/{id}/simulate" by App,
        params Uuid, SimulateTransfer => Transfer;
    /// A user's payout methods, oldest first.
    ListPayoutMethods("list_payout_methods"): Get "/api/v2/users/{id}/payout-methods" by App,
        params Uuid, Empty => PayoutMethodList;
    /// Adds a payout method for a user.
    AddPayoutMethod("add_payout_method"): Post "/api/v2/users/{id}/payout-methods" by App,
        params Uuid, NewPayoutMethod => PayoutMethod;
    /// Removes a user's payout method.
    RemovePayoutMethod("remove_payout_method"): Delete "/api/v2/users/{id}/payout-methods/{method_id}" by App,
        params (Uuid, Uuid), Empty => Empty;
    /// Makes one of a user's payout methods the default; answers the whole list.
    MakeDefaultPayoutMethod("make_default_payout_method"): Post "/api/v2/users/{id}/payout-methods/{method_id}/default" by App,
        params (Uuid, Uuid), Empty => PayoutMethodList;
    /// A user's connected bank accounts, oldest first.
    ListBankAccounts("list_bank_accounts"): Get "/api/v2/users/{id}/bank-accounts" by App,
        params Uuid, Empty => BankAccountList;
    /// Pays a user's balance out to a platform (seed 004, "Create Payout").
    CreatePayout("create_payout"): Post "/api/v2/payouts" by App,
        params (), NewPayout => Transfer;
    /// Accepts up to 1,000 payouts at once and answers the batch at once; a worker pays the
    /// items (seed 004, "Create Batch Payouts"). The same idempotency key and body answer the
    /// same batch.
    CreatePayoutBatch("create_payout_batch"): Post "/api/v2/payout-batches" by App,
        params (), NewPayoutBatch => PayoutBatch;
    /// The calling app's payout batches, newest first (seed 004, "List Historical Payout
    /// Batches").
    ListPayoutBatches("list_payout_batches"): Get "/api/v2/payout-batches" by App,
        params (), Empty => PayoutBatchList, query PAGE_QUERY;
    /// A payout batch of the calling app: its status and counts (seed 004).
    GetPayoutBatch("get_payout_batch"): Get "/api/v2/payout-batches/{id}" by App,
        params Uuid, Empty => PayoutBatch;
    /// Every item of a payout batch: its request, status, and transfer id or error.
    ListPayoutBatchItems("list_payout_batch_items"): Get "/api/v2/payout-batches/{id}/items" by App,
        params Uuid, Empty => PayoutBatchItemList;
    /// Promises a payout: sets the amount aside from the app's wallet and answers the link the
    /// payee opens (seed 004, "Create a Payout Link"). The same idempotency key and body answer
    /// the same link.
    CreatePayoutLink("create_payout_link"): Post "/api/v2/payout-links" by App,
        params (), NewPayoutLink => PayoutLink;
    /// The calling app's payout links, newest first; `status` keeps one status.
    ListPayoutLinks("list_payout_links"): Get "/api/v2/payout-links" by App,
        params (), Empty => PayoutLinkList, query PAYOUT_LINK_QUERY;
    /// A payout link of the calling app.
    GetPayoutLink("get_payout_link"): Get "/api/v2/payout-links/{id}" by App,
        params Uuid, Empty => PayoutLink;
    /// Cancels a link nobody has claimed (its money returns to the app's wallet), or a claimed
    /// one not yet paid out (the amount stays the claimant's; a fee reserve returns).
    CancelPayoutLink("cancel_payout_link"): Post "/api/v2/payout-links/{id}/cancel" by App,
        params Uuid, Empty => PayoutLink;
    /// Sandbox only: the text messages and emails the sandbox would have sent, newest first.
    ListSandboxMessages("list_sandbox_messages"): Get "/api/v2/sandbox/messages" by App,
        params (), Empty => SandboxMessageList;
    /// Adds a webhook endpoint; the answer holds its signing secret, shown only here and on
    /// rotation (issue 10).
    CreateWebhook("create_webhook"): Post "/api/v2/webhooks" by App,
        params (), NewWebhook => Webhook;
    /// The calling app's webhook endpoints, newest first.
    ListWebhooks("list_webhooks"): Get "/api/v2/webhooks" by App,
        params (), Empty => WebhookList, query PAGE_QUERY;
    /// A webhook endpoint of the calling app.
    GetWebhook("get_webhook"): Get "/api/v2/webhooks/{id}" by App,
        params Uuid, Empty => Webhook;
    /// Changes a webhook endpoint's URL, event types or description.
    UpdateWebhook("update_webhook"): Patch "/api/v2/webhooks/{id}" by App,
        params Uuid, WebhookUpdate => Webhook;
    /// Removes a webhook endpoint; its pending deliveries are dropped.
    DeleteWebhook("delete_webhook"): Delete "/api/v2/webhooks/{id}" by App,
        params Uuid, Empty => Empty;
    /// Gives a webhook endpoint a new signing secret (the old one stops at once); answers it.
    RotateWebhookSecret("rotate_webhook_secret"): Post "/api/v2/webhooks/{id}/secret" by App,
        params Uuid, Empty => Webhook;
    /// Every attempt to deliver an event to a webhook endpoint, newest first.
    ListWebhookDeliveries("list_webhook_deliveries"): Get "/api/v2/webhooks/{id}/deliveries" by App,
        params Uuid, Empty => DeliveryAttemptList, query PAGE_QUERY;
    /// The calling app's events, newest first.
    ListEvents("list_events"): Get "/api/v2/events" by App,
        params (), Empty => EventList, query PAGE_QUERY;
    /// Delivers an event again to every webhook endpoint of the app that takes its type.
    ResendEvent("resend_event"): Post "/api/v2/events/{event_id}/resend" by App,
        params String, Empty => Event;
    /// The calling app's own settings.
    GetAppSettings("get_app_settings"): Get "/api/v2/app" by App,
        params (), Empty => AppSettings;
    /// Changes the calling app's settings; new flows and sessions follow them at once.
    UpdateAppSettings("update_app_settings"): Patch "/api/v2/app" by App,
        params (), AppSettingsPatch => AppSettings;

    // The organization's endpoints (`/api/v2/apps`, seed 004 "Create App").

    /// Creates an app of the organization; the answer holds its api key, shown this once.
    CreateApp("create_app"): Post "/api/v2/apps" by Organization,
        params (), NewApp => App;
    /// The organization's apps, newest first.
    ListApps("list_apps"): Get "/api/v2/apps" by Organization,
        params (), Empty => AppList, query PAGE_QUERY;
    /// One app of the organization.
    GetApp("get_app"): Get "/api/v2/apps/{id}" by Organization,
        params Uuid, Empty => App;
    /// A new api key for an app, shown this once; the app's other keys keep working for 24
    /// hours, or as long as `previous_key_expires_in` says (0: they stop at once).
    CreateAppKey("create_app_key"): Post "/api/v2/apps/{id}/keys" by Organization,
        params Uuid, Empty => App, query APP_KEY_QUERY;
}

/// The declaration `method` and `path` name, if any (query excluded).
pub fn find(method: &str, path: &str) -> Option<&'static Info> {
    ALL.iter().find(|info| info.matches(method, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_routes_are_unique() {
        let names: HashSet<_> = ALL.iter().map(|i| i.name).collect();
        assert_eq!(names.len(), ALL.len());
        let routes: HashSet<_> = ALL.iter().map(|i| (i.method, i.path)).collect();
        assert_eq!(routes.len(), ALL.len());
    }

    #[test]
    fn callers_follow_the_path_prefix() {
        for info in ALL {
            // `/v2/flow/create` is seed 000's path, kept verbatim (issue 11).
            let host = info.path.starts_with("/api/v2/") || info.path == "/v2/flow/create";
            assert_eq!(host, info.caller.is_host(), "{}", info.name);
            assert!(host || info.path.starts_with("/api/flow/"), "{}", info.name);
        }
    }

    #[test]
    fn bodies_follow_the_method() {
        for info in ALL {
            if matches!(info.method, Method::Get | Method::Delete) {
                assert_eq!(info.body, BodyKind::None, "{}", info.name);
            }
            assert_eq!(
                info.method == Method::Delete,
                info.answer == AnswerKind::NoContent,
                "{}",
                info.name
            );
        }
    }

    #[test]
    fn paths_fill_and_match_their_templates() {
        let (user, method) = (Uuid::from_u128(7), Uuid::from_u128(8));
        let path = RemovePayoutMethod::path(&(user, method));
        assert_eq!(
            path,
            format!("/api/v2/users/{user}/payout-methods/{method}")
        );
        assert_eq!(find("DELETE", &path), Some(&RemovePayoutMethod::INFO));
        assert_eq!(find("GET", &path), None);
        assert_eq!(
            CompleteStep::path(&StepName::Compliance),
            "/api/flow/steps/compliance/complete"
        );
        assert_eq!(
            UploadDocument::path(&DocumentSide::Selfie),
            "/api/flow/id-verification/documents/selfie"
        );
    }

    #[test]
    fn host_paths_accept_a_trailing_slash_and_flow_paths_do_not() {
        assert_eq!(find("POST", "/api/v2/users/"), Some(&CreateUser::INFO));
        assert_eq!(find("POST", "/api/v2/apps/"), Some(&CreateApp::INFO));
        assert_eq!(
            find("PATCH", "/api/v2/app/"),
            Some(&UpdateAppSettings::INFO)
        );
        assert_eq!(find("GET", "/api/flow/state/"), None);
        assert_eq!(find("GET", "/api/v2/users//"), None);
    }

    #[test]
    fn only_flow_session_endpoints_take_step_actions_and_each_action_has_one() {
        for info in ALL {
            if info.action.is_some() {
                assert_eq!(info.caller, Caller::FlowSession, "{}", info.name);
            }
        }
        for action in FlowAction::ALL {
            assert!(
                ALL.iter().any(|info| info.action == Some(action)),
                "{action:?} has no endpoint"
            );
        }
    }

    #[test]
    fn parameters_are_listed_in_order() {
        let names: Vec<_> = MakeDefaultPayoutMethod::INFO.path_params().collect();
        assert_eq!(names, ["id", "method_id"]);
        assert_eq!(GetFlowState::INFO.path_params().count(), 0);
    }
}
