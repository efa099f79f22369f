//! Every string the user reads goes through this module: [`t`] for fixed text and [`tr`] for text
//! with `{placeholders}`. English is the only language today; a later issue adds others by
//! choosing a table here, without touching the components.
//!
//! Developer-facing text (console warnings, window-message payloads meant for host code) is not
//! translated.

use payout_model::money::format_cents;
use payout_model::{Rule, StepName};

/// A piece of user-facing text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Heading of the loading screen.
    LoadingTitle,
    /// Body of the loading screen.
    LoadingBody,
    /// Accessible name of a spinner.
    SpinnerLabel,
    /// Heading of the sign-in step.
    SignInTitle,
    /// Accessible name of the progress bar.
    ProgressLabel,
    /// "Step {current} of {total}".
    ProgressStep,
    /// Live-region announcement of a step: "Step {current} of {total}: {title}".
    LiveStep,
    /// "Taking you to {host}…".
    RedirectTitle,
    /// Body of the redirect screen.
    RedirectBody,
    /// The redirect screen's fallback link.
    RedirectContinue,
    /// Status while the redirect step is being recorded.
    RedirectSaving,
    /// Status once the redirect step is recorded and the flow is leaving.
    RedirectLeaving,
    /// The redirect step could not be recorded.
    RedirectFailed,
    /// Heading when the redirect URL is refused.
    RedirectInvalidTitle,
    /// Body when the redirect URL is refused.
    RedirectInvalidBody,
    /// Heading of the done screen.
    DoneTitle,
    /// Body of the done screen.
    DoneBody,
    /// The done screen's dashboard button.
    DoneDashboard,
    /// Retry buttons.
    Retry,
    /// "Details: {message}".
    ErrorDetails,
    /// Heading when the server cannot be reached.
    ErrorNetworkTitle,
    /// Body when the server cannot be reached.
    ErrorNetworkBody,
    /// Heading when the flow link is wrong.
    ErrorNotFoundTitle,
    /// Body when the flow link is wrong.
    ErrorNotFoundBody,
    /// Heading when the session has expired.
    ErrorExpiredTitle,
    /// Body when the session has expired.
    ErrorExpiredBody,
    /// Heading of any other error.
    ErrorOtherTitle,
    /// Body of any other error.
    ErrorOtherBody,
    /// Title of the compliance step.
    StepCompliance,
    /// Title of the id-verification step.
    StepIdVerification,
    /// Title of the background-check step.
    StepBackgroundCheck,
    /// Title of the manage-payments step.
    StepManagePayments,
    /// Title of the manage-payouts step.
    StepManagePayouts,
    /// Title of the payout step.
    StepPayout,
    /// Title of the redirect step.
    StepRedirect,
    /// Continue buttons that record a step.
    Continue,
    /// Status while a step is being recorded.
    SavingProgress,
    /// A step could not be recorded.
    SaveProgressFailed,
    /// Cancel buttons.
    Cancel,
    /// Remove buttons.
    Remove,
    /// Back buttons.
    Back,
    /// A submit button while saving something new.
    Adding,
    /// The badge on the default payout method.
    DefaultBadge,
    /// A field's error as the server words it (its English `fields` message, for rules only
    /// the server checks): "{label} {message}".
    FieldMessage,
    /// Rule Required: "{label} is required".
    RuleRequired,
    /// Rule Empty: "{label} is empty".
    RuleEmpty,
    /// Rule MaxChars: "{label} must be at most {max} characters".
    RuleMaxChars,
    /// Rule NoControlChars: "{label} must not contain control characters".
    RuleNoControlChars,
    /// Rule OnlyDigits: "{label} must contain only digits".
    RuleOnlyDigits,
    /// Rule OnlyLettersAndDigits: "{label} must contain only letters and digits".
    RuleOnlyLettersAndDigits,
    /// Rule Digits: "{label} must be {count} digits".
    RuleDigits,
    /// Rule DigitsBetween: "{label} must be {min} to {max} digits".
    RuleDigitsBetween,
    /// Rule LettersOrDigitsBetween: "{label} must be {min} to {max} letters or digits".
    RuleLettersOrDigitsBetween,
    /// Rule Email: "{label} must be an email address like name@example.com".
    RuleEmail,
    /// Rule CountryCallingCode: "{label} must be 1 to 3 digits, like 1 or 44".
    RuleCountryCallingCode,
    /// Rule PhoneDigitsForCountryCode: "{label} must be {digits} digits for country code {country_code}".
    RulePhoneDigitsForCountryCode,
    /// Rule PhoneLength: "{label} must be a phone number of {min} to {max} digits".
    RulePhoneLength,
    /// Rule SentCode: "{label} must be the {digits} digits we sent".
    RuleSentCode,
    /// Rule UsState: "{label} must be a US state, like CA or NY".
    RuleUsState,
    /// Rule Zip: "{label} must be a ZIP code like 94103 or 94103-1234".
    RuleZip,
    /// Rule ForeignPostalCode: "{label} must be at most {max} letters, digits, spaces or dashes".
    RuleForeignPostalCode,
    /// Rule CountryCode: "{label} must be a two-letter country code, like US or GB".
    RuleCountryCode,
    /// Rule Date: "{label} must be a date like 1990-04-25".
    RuleDate,
    /// Rule NotInFuture: "{label} must not be in the future".
    RuleNotInFuture,
    /// Rule After: "{label} must be after {year}".
    RuleAfter,
    /// Rule MinAge: "{label} must be at least {years} years ago".
    RuleMinAge,
    /// Rule TinDigits: "{label} must be 9 digits, like 123-45-6789".
    RuleTinDigits,
    /// Rule TinIssued: "{label} is not a valid SSN or ITIN".
    RuleTinIssued,
    /// Rule DocumentSide: "{label} must be front, back or selfie".
    RuleDocumentSide,
    /// Rule ImageType: "{label} must be a JPEG, PNG or WebP image".
    RuleImageType,
    /// Rule MaxMegabytes: "{label} must be at most {max} MB".
    RuleMaxMegabytes,
    /// Rule MetadataSize: "{label} must be at most {max} bytes of JSON".
    RuleMetadataSize,
    /// Rule MetadataShape: "{label} must be an object of key-value pairs or a string".
    RuleMetadataShape,
    /// Rule AtLeastOneStep: "{label} must list at least one step".
    RuleAtLeastOneStep,
    /// Rule StepTwice: "{label}: "{step}" is listed twice".
    RuleStepTwice,
    /// Rule NonZero: "{label} must not be zero".
    RuleNonZero,
    /// Rule MaxCentsEitherWay: "{label} must be at most {max} cents either way".
    RuleMaxCentsEitherWay,
    /// Rule AtLeastOneCent: "{label} must be at least 1 cent".
    RuleAtLeastOneCent,
    /// Rule MaxCents: "{label} must be at most {max} cents".
    RuleMaxCents,
    /// Rule AmountFormat: "{label} must be an amount like 12.34".
    RuleAmountFormat,
    /// Rule TwoDecimals: "{label} must have at most two decimals".
    RuleTwoDecimals,
    /// Rule AtMostAmount: "{label} must be at most {max}".
    RuleAtMostAmount,
    /// Rule MoreThanFee: "{label} must be more than the {fee} fee".
    RuleMoreThanFee,
    /// Rule IdempotencyKey: "{label} must be 1 to 255 printable characters".
    RuleIdempotencyKey,
    /// Rule RoutingChecksum: "{label} is not a valid routing number (check the digits)".
    RuleRoutingChecksum,
    /// Rule VenmoHandle: "{label} must be @ and 5 to 30 letters, digits, - or _".
    RuleVenmoHandle,
    /// Rule VenmoHandleOrPhone: "{label} must be a @handle or a 10-digit US phone number".
    RuleVenmoHandleOrPhone,
    /// Rule Cashtag: "{label} must be $ and 1 to 20 letters or digits, like $ada".
    RuleCashtag,
    /// Rule AtLeastAmount: "{label} must be at least {min}".
    RuleAtLeastAmount,
    /// Rule AtMostBalance: "{label} must be at most your balance of {balance}".
    RuleAtMostBalance,
    /// Rule HttpUrl: "{label} must start with http:// or https://".
    RuleHttpUrl,
    /// Rule UrlHost: "{label} must name a host".
    RuleUrlHost,
    /// Rule NoSpacesOrControlChars: "{label} must not contain spaces or control characters".
    RuleNoSpacesOrControlChars,
    /// Rule EmbedOrigin: "{label} must be an origin like https://host.example …".
    RuleEmbedOrigin,
    /// Rule MaxItems: "{label} must list at most {max} items".
    RuleMaxItems,
    /// Rule (app only): no payout method chosen.
    RuleChooseMethod,
    /// The account number typed twice differs.
    AccountNumbersDiffer,
    /// Label of the routing number.
    FieldRoutingNumber,
    /// Hint under the routing number.
    RoutingNumberHint,
    /// Label of the account number.
    FieldAccountNumber,
    /// Hint under the account number.
    AccountNumberHint,
    /// Label of the repeated account number.
    FieldAccountNumberConfirm,
    /// Toggle that reveals the account numbers.
    ShowAccountNumbers,
    /// Toggle that masks the account numbers again.
    HideAccountNumbers,
    /// Legend of checking/savings.
    FieldAccountType,
    /// Checking account.
    AccountTypeChecking,
    /// Savings account.
    AccountTypeSavings,
    /// Legend of the payout platform picker.
    FieldPlatform,
    /// PayPal option.
    PlatformPaypal,
    /// Venmo option.
    PlatformVenmo,
    /// Cash App option.
    PlatformCashApp,
    /// ACH option.
    PlatformAch,
    /// Label of the PayPal email.
    FieldPaypalEmail,
    /// Hint under the PayPal email.
    PaypalEmailHint,
    /// Label of the Venmo handle.
    FieldVenmo,
    /// Hint under the Venmo handle.
    VenmoHint,
    /// Label of the cashtag.
    FieldCashtag,
    /// Hint under the cashtag.
    CashtagHint,
    /// Label of the payout amount.
    FieldAmount,
    /// Hint under the payout amount.
    AmountHint,
    /// Legend of the payout method picker.
    FieldPayoutMethod,
    /// Intro of manage-payouts.
    ManagePayoutsIntro,
    /// Heading of the payout method list.
    YourMethods,
    /// Loading the payout methods.
    LoadingMethods,
    /// The payout methods could not be loaded.
    LoadMethodsFailed,
    /// Empty list of payout methods.
    NoMethods,
    /// Make-default buttons.
    MakeDefault,
    /// Making a method the default failed.
    MakeDefaultFailed,
    /// Confirmation of removing a method.
    RemoveMethodQuestion,
    /// What happens when the default method is removed.
    RemoveDefaultDetails,
    /// Removing a method failed.
    RemoveMethodFailed,
    /// A method was added.
    MethodAdded,
    /// A method was removed.
    MethodRemoved,
    /// A method was made the default.
    MethodMadeDefault,
    /// Heading of the add-method form.
    AddMethodHeading,
    /// Submit button of the add-method form.
    AddMethod,
    /// Adding a method failed (not on one field).
    AddMethodFailed,
    /// Why Continue is disabled on manage-payouts.
    AddMethodToContinue,
    /// Intro of manage-payments.
    ManagePaymentsIntro,
    /// Heading of the bank account list.
    YourBankAccounts,
    /// Loading the bank accounts.
    LoadingBankAccounts,
    /// The bank accounts could not be loaded.
    LoadBankAccountsFailed,
    /// Empty list of bank accounts.
    NoBankAccounts,
    /// A masked bank account: "Checking ••••6789".
    BankAccountLabel,
    /// A bank account's routing number.
    RoutingLine,
    /// Confirmation of removing a bank account.
    RemoveBankQuestion,
    /// What removing a bank account means.
    RemoveBankDetails,
    /// Removing a bank account failed.
    RemoveBankFailed,
    /// A bank account was connected.
    BankAccountAdded,
    /// A bank account was removed.
    BankAccountRemoved,
    /// Heading of the bank account form.
    AddBankHeading,
    /// Submit button of the bank account form.
    AddBank,
    /// Connecting a bank account failed (not on one field).
    AddBankFailed,
    /// Why Continue is disabled on manage-payments.
    AddBankToContinue,
    /// Loading the wallet.
    LoadingBalance,
    /// The wallet could not be loaded.
    LoadBalanceFailed,
    /// Label of the withdrawable balance.
    AvailableToWithdraw,
    /// Money not yet withdrawable.
    PendingBalance,
    /// Heading when the balance is zero.
    NothingToPayOut,
    /// Body when the balance is zero.
    NothingToPayOutBody,
    /// Reloads the balance.
    CheckAgain,
    /// Body when the user has no payout method.
    NoMethodForPayout,
    /// The fee, paid by the app.
    FeePaidByPlatform,
    /// The fee, paid by the user.
    FeePaidByUser,
    /// What reaches the user.
    YouReceive,
    /// The payout form's submit button.
    ReviewPayout,
    /// The server refused the payout (not on one field).
    PayoutRefused,
    /// Heading when the user may not pay out through the flow (issue 8).
    PayoutBlockedTitle,
    /// Why, with no internals, and what to do.
    PayoutBlockedBody,
    /// Heading of the review screen.
    ReviewTitle,
    /// Review: the amount.
    SummaryAmount,
    /// Review: the method.
    SummaryTo,
    /// The review screen's confirm button.
    ConfirmPayout,
    /// Status while the payout is sent.
    SendingPayout,
    /// The payout request got no clear answer.
    PayoutUnconfirmed,
    /// Heading of a completed payout.
    PayoutCompletedTitle,
    /// Body of a completed payout.
    PayoutCompletedBody,
    /// Heading of a pending payout.
    PayoutPendingTitle,
    /// Body of a pending ACH payout.
    PayoutPendingAch,
    /// Body of another pending payout.
    PayoutPendingOther,
    /// What a pending payout will deliver.
    PayoutPendingNet,
    /// Refreshes a pending payout.
    CheckStatus,
    /// Refreshing the payout status failed.
    RefreshFailed,
    /// Heading of a failed payout.
    PayoutFailedTitle,
    /// Body of a failed payout.
    PayoutFailedBody,
    /// Intro of the phone stage of sign-in.
    AuthPhoneIntro,
    /// Label of the country calling code.
    FieldCountryCode,
    /// Hint under the country calling code.
    CountryCodeHint,
    /// Label of the phone number.
    FieldPhone,
    /// The phone stage's submit button.
    SendCode,
    /// A submit button while a code is being sent.
    Sending,
    /// "We sent a code to {sent_to}".
    CodeSentTo,
    /// Announced when a new code was sent.
    CodeResentTo,
    /// Label of the one-time code.
    FieldCode,
    /// Hint under the one-time code.
    CodeHint,
    /// The code stage's submit button.
    Verify,
    /// The verify button while the code is checked.
    Verifying,
    /// Asks for a new code.
    ResendCode,
    /// The resend button during its cooldown: "Resend in {seconds} s".
    ResendIn,
    /// Under "Send code" during the resend cooldown: when a new code may be asked for.
    NewCodeIn,
    /// Goes back to the phone stage.
    ChangeNumber,
    /// Intro of the profile stage of sign-in.
    ProfileIntro,
    /// Label of a first name.
    FieldFirstName,
    /// Label of a last name.
    FieldLastName,
    /// Label of an email address.
    FieldEmail,
    /// The profile stage's submit button.
    CreateAccount,
    /// The create-account button while saving.
    Creating,
    /// Sign-in failed, not on one field.
    AuthFailed,
    /// Sending a code failed, not on one field.
    SendCodeFailed,
    /// Sending a new code failed (the resend cooldown, usually).
    ResendFailed,
    /// Intro of the compliance step.
    ComplianceIntro,
    /// Label of the country of residence.
    FieldCountry,
    /// Label of the legal first name.
    FieldLegalFirstName,
    /// Label of the legal last name.
    FieldLegalLastName,
    /// Label of the date of birth.
    FieldDateOfBirth,
    /// Label of the SSN or ITIN.
    FieldTin,
    /// Hint under the SSN or ITIN.
    TinHint,
    /// Label of the SSN in the background check.
    FieldSsn,
    /// Label of the foreign tax id.
    FieldForeignTaxId,
    /// Hint under the foreign tax id.
    ForeignTaxIdHint,
    /// Heading of the address fields.
    AddressHeading,
    /// Label of the street address.
    FieldLine1,
    /// Label of the second address line.
    FieldLine2,
    /// Label of the city.
    FieldCity,
    /// Label of the US state.
    FieldState,
    /// The empty option of the state picker.
    ChooseState,
    /// Label of the region outside the US.
    FieldRegion,
    /// Label of the ZIP code.
    FieldZip,
    /// Label of the postal code outside the US.
    FieldPostalCode,
    /// The compliance form's submit button.
    SaveTaxInfo,
    /// A submit button while saving.
    Saving,
    /// Saving compliance failed, not on one field.
    ComplianceFailed,
    /// Heading of the compliance confirmation.
    ComplianceSavedTitle,
    /// Which form was filled: "Saved as {form}."
    ComplianceSavedForm,
    /// Name of the W-9 form.
    FormW9,
    /// Name of the W-8BEN form.
    FormW8ben,
    /// The masked SSN on file.
    TinOnFile,
    /// The masked foreign tax id on file.
    ForeignTaxIdOnFile,
    /// Intro of the id-verification step.
    IdvIntro,
    /// The front-of-ID slot.
    SideFront,
    /// The back-of-ID slot.
    SideBack,
    /// The selfie slot.
    SideSelfie,
    /// Label of a file input.
    UploadPhoto,
    /// Opens the camera for a slot.
    UseCamera,
    /// Takes the photo from the camera.
    TakePhoto,
    /// Accessible name of the live camera preview: "{side}: camera".
    CameraPreview,
    /// The camera permission was refused.
    CameraDenied,
    /// No camera could be opened.
    CameraUnavailable,
    /// The camera could not take a picture.
    CameraFailed,
    /// A slot without a picture.
    StatusNotUploaded,
    /// A slot's picture is being uploaded.
    StatusUploading,
    /// A slot's picture is uploaded.
    StatusUploaded,
    /// A slot's upload failed.
    StatusUploadFailed,
    /// Alt text of a slot's preview: "{side} you added".
    PreviewAlt,
    /// Submits the pictures.
    SubmitVerification,
    /// A submit button while submitting.
    Submitting,
    /// Why the submit button is disabled.
    AddAllPhotos,
    /// Submitting the pictures failed.
    IdvSubmitFailed,
    /// Loading line while the decision of a user already verified is fetched.
    IdvResuming,
    /// Verification result: verified.
    IdvVerified,
    /// Body of a verified result.
    IdvVerifiedBody,
    /// Verification result: needs review.
    IdvNeedsReview,
    /// Body of a needs-review result.
    IdvNeedsReviewBody,
    /// Verification result: failed.
    IdvFailed,
    /// Body of a failed result.
    IdvFailedBody,
    /// Intro of the background-check step.
    BgcIntro,
    /// Intro when the tax details on file are used (issue 8).
    BgcOnFileIntro,
    /// Label of the address on file.
    BgcOnFileAddress,
    /// An SSN on file: "•••• {last4}".
    SsnLast4,
    /// While the tax details on file are fetched.
    BgcLoadingFile,
    /// Shown when the country is not the US.
    BgcUsOnly,
    /// The background check's submit button.
    RunCheck,
    /// The background check's button while it runs.
    Checking,
    /// Running the background check failed.
    BgcSubmitFailed,
    /// Background check result: clear.
    BgcClear,
    /// Body of a clear result.
    BgcClearBody,
    /// Background check result: failed.
    BgcFailed,
    /// Body of a failed result.
    BgcFailedBody,
    /// Background check result: not needed.
    BgcNotEligible,
    /// Why: not a US resident.
    BgcNotUs,
    /// Why: under 18.
    BgcUnder18,
    /// Mints a new session after the old one expired.
    StartAgain,
}

impl Key {
    /// Every key, so tests can check each has text.
    pub const ALL: [Key; 282] = [
        Key::LoadingTitle,
        Key::LoadingBody,
        Key::SpinnerLabel,
        Key::SignInTitle,
        Key::ProgressLabel,
        Key::ProgressStep,
        Key::LiveStep,
        Key::RedirectTitle,
        Key::RedirectBody,
        Key::RedirectContinue,
        Key::RedirectSaving,
        Key::RedirectLeaving,
        Key::RedirectFailed,
        Key::RedirectInvalidTitle,
        Key::RedirectInvalidBody,
        Key::DoneTitle,
        Key::DoneBody,
        Key::DoneDashboard,
        Key::Retry,
        Key::ErrorDetails,
        Key::ErrorNetworkTitle,
        Key::ErrorNetworkBody,
        Key::ErrorNotFoundTitle,
        Key::ErrorNotFoundBody,
        Key::ErrorExpiredTitle,
        Key::ErrorExpiredBody,
        Key::ErrorOtherTitle,
        Key::ErrorOtherBody,
        Key::StepCompliance,
        Key::StepIdVerification,
        Key::StepBackgroundCheck,
        Key::StepManagePayments,
        Key::StepManagePayouts,
        Key::StepPayout,
        Key::StepRedirect,
        Key::Continue,
        Key::SavingProgress,
        Key::SaveProgressFailed,
        Key::Cancel,
        Key::Remove,
        Key::Back,
        Key::Adding,
        Key::DefaultBadge,
        Key::FieldMessage,
        Key::RuleRequired,
        Key::RuleEmpty,
        Key::RuleMaxChars,
        Key::RuleNoControlChars,
        Key::RuleOnlyDigits,
        Key::RuleOnlyLettersAndDigits,
        Key::RuleDigits,
        Key::RuleDigitsBetween,
        Key::RuleLettersOrDigitsBetween,
        Key::RuleEmail,
        Key::RuleCountryCallingCode,
        Key::RulePhoneDigitsForCountryCode,
        Key::RulePhoneLength,
        Key::RuleSentCode,
        Key::RuleUsState,
        Key::RuleZip,
        Key::RuleForeignPostalCode,
        Key::RuleCountryCode,
        Key::RuleDate,
        Key::RuleNotInFuture,
        Key::RuleAfter,
        Key::RuleMinAge,
        Key::RuleTinDigits,
        Key::RuleTinIssued,
        Key::RuleDocumentSide,
        Key::RuleImageType,
        Key::RuleMaxMegabytes,
        Key::RuleMetadataSize,
        Key::RuleMetadataShape,
        Key::RuleAtLeastOneStep,
        Key::RuleStepTwice,
        Key::RuleNonZero,
        Key::RuleMaxCentsEitherWay,
        Key::RuleAtLeastOneCent,
        Key::RuleMaxCents,
        Key::RuleAmountFormat,
        Key::RuleTwoDecimals,
        Key::RuleAtMostAmount,
        Key::RuleMoreThanFee,
        Key::RuleIdempotencyKey,
        Key::RuleRoutingChecksum,
        Key::RuleVenmoHandle,
        Key::RuleVenmoHandleOrPhone,
        Key::RuleCashtag,
        Key::RuleAtLeastAmount,
        Key::RuleAtMostBalance,
        Key::RuleHttpUrl,
        Key::RuleUrlHost,
        Key::RuleNoSpacesOrControlChars,
        Key::RuleEmbedOrigin,
        Key::RuleMaxItems,
        Key::RuleChooseMethod,
        Key::AccountNumbersDiffer,
        Key::FieldRoutingNumber,
        Key::RoutingNumberHint,
        Key::FieldAccountNumber,
        Key::AccountNumberHint,
        Key::FieldAccountNumberConfirm,
        Key::ShowAccountNumbers,
        Key::HideAccountNumbers,
        Key::FieldAccountType,
        Key::AccountTypeChecking,
        Key::AccountTypeSavings,
        Key::FieldPlatform,
        Key::PlatformPaypal,
        Key::PlatformVenmo,
        Key::PlatformCashApp,
        Key::PlatformAch,
        Key::FieldPaypalEmail,
        Key::PaypalEmailHint,
        Key::FieldVenmo,
        Key::VenmoHint,
        Key::FieldCashtag,
        Key::CashtagHint,
        Key::FieldAmount,
        Key::AmountHint,
        Key::FieldPayoutMethod,
        Key::ManagePayoutsIntro,
        Key::YourMethods,
        Key::LoadingMethods,
        Key::LoadMethodsFailed,
        Key::NoMethods,
        Key::MakeDefault,
        Key::MakeDefaultFailed,
        Key::RemoveMethodQuestion,
        Key::RemoveDefaultDetails,
        Key::RemoveMethodFailed,
        Key::MethodAdded,
        Key::MethodRemoved,
        Key::MethodMadeDefault,
        Key::AddMethodHeading,
        Key::AddMethod,
        Key::AddMethodFailed,
        Key::AddMethodToContinue,
        Key::ManagePaymentsIntro,
        Key::YourBankAccounts,
        Key::LoadingBankAccounts,
        Key::LoadBankAccountsFailed,
        Key::NoBankAccounts,
        Key::BankAccountLabel,
        Key::RoutingLine,
        Key::RemoveBankQuestion,
        Key::RemoveBankDetails,
        Key::RemoveBankFailed,
        Key::BankAccountAdded,
        Key::BankAccountRemoved,
        Key::AddBankHeading,
        Key::AddBank,
        Key::AddBankFailed,
        Key::AddBankToContinue,
        Key::LoadingBalance,
        Key::LoadBalanceFailed,
        Key::AvailableToWithdraw,
        Key::PendingBalance,
        Key::NothingToPayOut,
        Key::NothingToPayOutBody,
        Key::CheckAgain,
        Key::NoMethodForPayout,
        Key::FeePaidByPlatform,
        Key::FeePaidByUser,
        Key::YouReceive,
        Key::ReviewPayout,
        Key::PayoutRefused,
        Key::PayoutBlockedTitle,
        Key::PayoutBlockedBody,
        Key::ReviewTitle,
        Key::SummaryAmount,
        Key::SummaryTo,
        Key::ConfirmPayout,
        Key::SendingPayout,
        Key::PayoutUnconfirmed,
        Key::PayoutCompletedTitle,
        Key::PayoutCompletedBody,
        Key::PayoutPendingTitle,
        Key::PayoutPendingAch,
        Key::PayoutPendingOther,
        Key::PayoutPendingNet,
        Key::CheckStatus,
        Key::RefreshFailed,
        Key::PayoutFailedTitle,
        Key::PayoutFailedBody,
        Key::AuthPhoneIntro,
        Key::FieldCountryCode,
        Key::CountryCodeHint,
        Key::FieldPhone,
        Key::SendCode,
        Key::Sending,
        Key::CodeSentTo,
        Key::CodeResentTo,
        Key::FieldCode,
        Key::CodeHint,
        Key::Verify,
        Key::Verifying,
        Key::ResendCode,
        Key::ResendIn,
        Key::NewCodeIn,
        Key::ChangeNumber,
        Key::ProfileIntro,
        Key::FieldFirstName,
        Key::FieldLastName,
        Key::FieldEmail,
        Key::CreateAccount,
        Key::Creating,
        Key::AuthFailed,
        Key::SendCodeFailed,
        Key::ResendFailed,
        Key::ComplianceIntro,
        Key::FieldCountry,
        Key::FieldLegalFirstName,
        Key::FieldLegalLastName,
        Key::FieldDateOfBirth,
        Key::FieldTin,
        Key::TinHint,
        Key::FieldSsn,
        Key::FieldForeignTaxId,
        Key::ForeignTaxIdHint,
        Key::AddressHeading,
        Key::FieldLine1,
        Key::FieldLine2,
        Key::FieldCity,
        Key::FieldState,
        Key::ChooseState,
        Key::FieldRegion,
        Key::FieldZip,
        Key::FieldPostalCode,
        Key::SaveTaxInfo,
        Key::Saving,
        Key::ComplianceFailed,
        Key::ComplianceSavedTitle,
        Key::ComplianceSavedForm,
        Key::FormW9,
        Key::FormW8ben,
        Key::TinOnFile,
        Key::ForeignTaxIdOnFile,
        Key::IdvIntro,
        Key::SideFront,
        Key::SideBack,
        Key::SideSelfie,
        Key::UploadPhoto,
        Key::UseCamera,
        Key::TakePhoto,
        Key::CameraPreview,
        Key::CameraDenied,
        Key::CameraUnavailable,
        Key::CameraFailed,
        Key::StatusNotUploaded,
        Key::StatusUploading,
        Key::StatusUploaded,
        Key::StatusUploadFailed,
        Key::PreviewAlt,
        Key::SubmitVerification,
        Key::Submitting,
        Key::AddAllPhotos,
        Key::IdvSubmitFailed,
        Key::IdvResuming,
        Key::IdvVerified,
        Key::IdvVerifiedBody,
        Key::IdvNeedsReview,
        Key::IdvNeedsReviewBody,
        Key::IdvFailed,
        Key::IdvFailedBody,
        Key::BgcIntro,
        Key::BgcOnFileIntro,
        Key::BgcOnFileAddress,
        Key::SsnLast4,
        Key::BgcLoadingFile,
        Key::BgcUsOnly,
        Key::RunCheck,
        Key::Checking,
        Key::BgcSubmitFailed,
        Key::BgcClear,
        Key::BgcClearBody,
        Key::BgcFailed,
        Key::BgcFailedBody,
        Key::BgcNotEligible,
        Key::BgcNotUs,
        Key::BgcUnder18,
        Key::StartAgain,
    ];

    /// The placeholders this key's text takes, for [`tr`].
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Key::ProgressStep => &["current", "total"],
            Key::LiveStep => &["current", "total", "title"],
            Key::RedirectTitle => &["host"],
            Key::ErrorDetails => &["message"],
            Key::FieldMessage => &["label", "message"],
            Key::RuleRequired => &["label"],
            Key::RuleEmpty => &["label"],
            Key::RuleMaxChars => &["label", "max"],
            Key::RuleNoControlChars => &["label"],
            Key::RuleOnlyDigits => &["label"],
            Key::RuleOnlyLettersAndDigits => &["label"],
            Key::RuleDigits => &["label", "count"],
            Key::RuleDigitsBetween => &["label", "min", "max"],
            Key::RuleLettersOrDigitsBetween => &["label", "min", "max"],
            Key::RuleEmail => &["label"],
            Key::RuleCountryCallingCode => &["label"],
            Key::RulePhoneDigitsForCountryCode => &["label", "digits", "country_code"],
            Key::RulePhoneLength => &["label", "min", "max"],
            Key::RuleSentCode => &["label", "digits"],
            Key::RuleUsState => &["label"],
            Key::RuleZip => &["label"],
            Key::RuleForeignPostalCode => &["label", "max"],
            Key::RuleCountryCode => &["label"],
            Key::RuleDate => &["label"],
            Key::RuleNotInFuture => &["label"],
            Key::RuleAfter => &["label", "year"],
            Key::RuleMinAge => &["label", "years"],
            Key::RuleTinDigits => &["label"],
            Key::RuleTinIssued => &["label"],
            Key::RuleDocumentSide => &["label"],
            Key::RuleImageType => &["label"],
            Key::RuleMaxMegabytes => &["label", "max"],
            Key::RuleMetadataSize => &["label", "max"],
            Key::RuleMetadataShape => &["label"],
            Key::RuleAtLeastOneStep => &["label"],
            Key::RuleStepTwice => &["label", "step"],
            Key::RuleNonZero => &["label"],
            Key::RuleMaxCentsEitherWay => &["label", "max"],
            Key::RuleAtLeastOneCent => &["label"],
            Key::RuleMaxCents => &["label", "max"],
            Key::RuleAmountFormat => &["label"],
            Key::RuleTwoDecimals => &["label"],
            Key::RuleAtMostAmount => &["label", "max"],
            Key::RuleMoreThanFee => &["label", "fee"],
            Key::RuleIdempotencyKey => &["label"],
            Key::RuleRoutingChecksum => &["label"],
            Key::RuleVenmoHandle => &["label"],
            Key::RuleVenmoHandleOrPhone => &["label"],
            Key::RuleCashtag => &["label"],
            Key::RuleAtLeastAmount => &["label", "min"],
            Key::RuleAtMostBalance => &["label", "balance"],
            Key::RuleHttpUrl => &["label"],
            Key::RuleUrlHost => &["label"],
            Key::RuleNoSpacesOrControlChars => &["label"],
            Key::RuleEmbedOrigin => &["label"],
            Key::RuleMaxItems => &["label", "max"],
            Key::RuleChooseMethod => &["label"],
            Key::AmountHint => &["balance"],
            Key::RemoveMethodQuestion => &["label"],
            Key::MethodAdded => &["label"],
            Key::MethodRemoved => &["label"],
            Key::MethodMadeDefault => &["label"],
            Key::BankAccountLabel => &["type", "last4"],
            Key::RoutingLine => &["routing"],
            Key::RemoveBankQuestion => &["label"],
            Key::BankAccountAdded => &["label"],
            Key::BankAccountRemoved => &["label"],
            Key::PendingBalance => &["amount"],
            Key::FeePaidByPlatform => &["fee"],
            Key::FeePaidByUser => &["fee"],
            Key::YouReceive => &["net"],
            Key::PayoutCompletedBody => &["net", "method"],
            Key::PayoutPendingNet => &["net", "method"],
            Key::CodeSentTo => &["sent_to"],
            Key::CodeResentTo => &["sent_to"],
            Key::ResendIn => &["seconds"],
            Key::NewCodeIn => &["seconds"],
            Key::ComplianceSavedForm => &["form"],
            Key::TinOnFile => &["masked"],
            Key::ForeignTaxIdOnFile => &["last4"],
            Key::CameraPreview => &["side"],
            Key::PreviewAlt => &["side"],
            Key::SsnLast4 => &["last4"],
            _ => &[],
        }
    }
}

/// The text of `key`, in English.
pub fn t(key: Key) -> &'static str {
    match key {
        Key::LoadingTitle => "Loading…",
        Key::LoadingBody => "Getting your flow ready.",
        Key::SpinnerLabel => "Loading",
        Key::SignInTitle => "Sign in",
        Key::ProgressLabel => "Progress",
        Key::ProgressStep => "Step {current} of {total}",
        Key::LiveStep => "Step {current} of {total}: {title}",
        Key::RedirectTitle => "Taking you to {host}…",
        Key::RedirectBody => "If nothing happens in a few seconds, use the Continue button.",
        Key::RedirectContinue => "Continue",
        Key::RedirectSaving => "Saving your progress…",
        Key::RedirectLeaving => "Leaving the payout flow…",
        Key::RedirectFailed => {
            "We couldn't save your progress, so you haven't left yet. Try again."
        }
        Key::RedirectInvalidTitle => "This link can't be opened",
        Key::RedirectInvalidBody => {
            "This flow was set up to send you to an address that isn't a safe web address. \
             Contact the site that sent you here."
        }
        Key::DoneTitle => "You're all set",
        Key::DoneBody => "You've completed every step. You can close this window.",
        Key::DoneDashboard => "Go to dashboard",
        Key::Retry => "Try again",
        Key::ErrorDetails => "Details: {message}",
        Key::ErrorNetworkTitle => "We can't reach the server",
        Key::ErrorNetworkBody => "Check your internet connection, then try again.",
        Key::ErrorNotFoundTitle => "This link doesn't work",
        Key::ErrorNotFoundBody => {
            "We couldn't find this payout flow. Check the link, or ask the site that sent you \
             here for a new one."
        }
        Key::ErrorExpiredTitle => "Your session has expired",
        Key::ErrorExpiredBody => {
            "For your security, sessions end after a while. Start again to sign in and pick up \
             where you left off."
        }
        Key::ErrorOtherTitle => "Something went wrong",
        Key::ErrorOtherBody => {
            "Please try again. If it keeps happening, contact the site that sent you here."
        }
        Key::StepCompliance => "Tax information",
        Key::StepIdVerification => "Identity verification",
        Key::StepBackgroundCheck => "Background check",
        Key::StepManagePayments => "Bank account",
        Key::StepManagePayouts => "Payout methods",
        Key::StepPayout => "Withdraw your balance",
        Key::StepRedirect => "Redirect",
        Key::Continue => "Continue",
        Key::SavingProgress => "Saving your progress…",
        Key::SaveProgressFailed => "We couldn't save your progress. Try again.",
        Key::Cancel => "Cancel",
        Key::Remove => "Remove",
        Key::Back => "Back",
        Key::Adding => "Adding…",
        Key::DefaultBadge => "Default",
        Key::FieldMessage => "{label} {message}",
        Key::RuleRequired => "{label} is required",
        Key::RuleEmpty => "{label} is empty",
        Key::RuleMaxChars => "{label} must be at most {max} characters",
        Key::RuleNoControlChars => "{label} must not contain control characters",
        Key::RuleOnlyDigits => "{label} must contain only digits",
        Key::RuleOnlyLettersAndDigits => "{label} must contain only letters and digits",
        Key::RuleDigits => "{label} must be {count} digits",
        Key::RuleDigitsBetween => "{label} must be {min} to {max} digits",
        Key::RuleLettersOrDigitsBetween => "{label} must be {min} to {max} letters or digits",
        Key::RuleEmail => "{label} must be an email address like name@example.com",
        Key::RuleCountryCallingCode => "{label} must be 1 to 3 digits, like 1 or 44",
        Key::RulePhoneDigitsForCountryCode => "{label} must be {digits} digits for country code {country_code}",
        Key::RulePhoneLength => "{label} must be a phone number of {min} to {max} digits",
        Key::RuleSentCode => "{label} must be the {digits} digits we sent",
        Key::RuleUsState => "{label} must be a US state, like CA or NY",
        Key::RuleZip => "{label} must be a ZIP code like 94103 or 94103-1234",
        Key::RuleForeignPostalCode => "{label} must be at most {max} letters, digits, spaces or dashes",
        Key::RuleCountryCode => "{label} must be a two-letter country code, like US or GB",
        Key::RuleDate => "{label} must be a date like 1990-04-25",
        Key::RuleNotInFuture => "{label} must not be in the future",
        Key::RuleAfter => "{label} must be after {year}",
        Key::RuleMinAge => "{label} must be at least {years} years ago",
        Key::RuleTinDigits => "{label} must be 9 digits, like 123-45-6789",
        Key::RuleTinIssued => "{label} is not a valid SSN or ITIN",
        Key::RuleDocumentSide => "{label} must be front, back or selfie",
        Key::RuleImageType => "{label} must be a JPEG, PNG or WebP image",
        Key::RuleMaxMegabytes => "{label} must be at most {max} MB",
        Key::RuleMetadataSize => "{label} must be at most {max} bytes of JSON",
        Key::RuleMetadataShape => "{label} must be an object of key-value pairs or a string",
        Key::RuleAtLeastOneStep => "{label} must list at least one step",
        Key::RuleStepTwice => "{label}: \"{step}\" is listed twice",
        Key::RuleNonZero => "{label} must not be zero",
        Key::RuleMaxCentsEitherWay => "{label} must be at most {max} cents either way",
        Key::RuleAtLeastOneCent => "{label} must be at least 1 cent",
        Key::RuleMaxCents => "{label} must be at most {max} cents",
        Key::RuleAmountFormat => "{label} must be an amount like 12.34",
        Key::RuleTwoDecimals => "{label} must have at most two decimals",
        Key::RuleAtMostAmount => "{label} must be at most {max}",
        Key::RuleMoreThanFee => "{label} must be more than the {fee} fee",
        Key::RuleIdempotencyKey => "{label} must be 1 to 255 printable characters",
        Key::RuleRoutingChecksum => "{label} is not a valid routing number (check the digits)",
        Key::RuleVenmoHandle => "{label} must be @ and 5 to 30 letters, digits, - or _",
        Key::RuleVenmoHandleOrPhone => "{label} must be a @handle or a 10-digit US phone number",
        Key::RuleCashtag => "{label} must be $ and 1 to 20 letters or digits, like $ada",
        Key::RuleAtLeastAmount => "{label} must be at least {min}",
        Key::RuleAtMostBalance => "{label} must be at most your balance of {balance}",
        Key::RuleHttpUrl => "{label} must start with http:// or https://",
        Key::RuleUrlHost => "{label} must name a host",
        Key::RuleNoSpacesOrControlChars => {
            "{label} must not contain spaces or control characters"
        }
        Key::RuleEmbedOrigin => {
            "{label} must be an origin like https://host.example (http only on localhost or 127.0.0.1)"
        }
        Key::RuleMaxItems => "{label} must list at most {max} items",
        Key::RuleChooseMethod => "{label} must be chosen",
        Key::AccountNumbersDiffer => "The account numbers don't match",
        Key::FieldRoutingNumber => "Routing number",
        Key::RoutingNumberHint => "9 digits, printed at the bottom left of a check",
        Key::FieldAccountNumber => "Account number",
        Key::AccountNumberHint => "4 to 17 digits",
        Key::FieldAccountNumberConfirm => "Confirm account number",
        Key::ShowAccountNumbers => "Show",
        Key::HideAccountNumbers => "Hide",
        Key::FieldAccountType => "Account type",
        Key::AccountTypeChecking => "Checking",
        Key::AccountTypeSavings => "Savings",
        Key::FieldPlatform => "Payout method type",
        Key::PlatformPaypal => "PayPal",
        Key::PlatformVenmo => "Venmo",
        Key::PlatformCashApp => "Cash App",
        Key::PlatformAch => "Bank account (ACH)",
        Key::FieldPaypalEmail => "PayPal email",
        Key::PaypalEmailHint => "The email address of your PayPal account",
        Key::FieldVenmo => "Venmo handle or phone number",
        Key::VenmoHint => "Like @ada-lovelace, or a 10-digit US phone number",
        Key::FieldCashtag => "Cashtag",
        Key::CashtagHint => "Starts with $, like $ada",
        Key::FieldAmount => "Amount",
        Key::AmountHint => "In US dollars, up to {balance}",
        Key::FieldPayoutMethod => "Pay out to",
        Key::ManagePayoutsIntro => "Choose where your money goes. Payouts use your default method.",
        Key::YourMethods => "Your payout methods",
        Key::LoadingMethods => "Loading your payout methods…",
        Key::LoadMethodsFailed => "We couldn't load your payout methods.",
        Key::NoMethods => "No payout method yet",
        Key::MakeDefault => "Make default",
        Key::MakeDefaultFailed => "We couldn't change your default payout method.",
        Key::RemoveMethodQuestion => "Remove {label}?",
        Key::RemoveDefaultDetails => {
            "It's your default: your oldest other method becomes the default."
        }
        Key::RemoveMethodFailed => "We couldn't remove this payout method.",
        Key::MethodAdded => "Added {label}",
        Key::MethodRemoved => "Removed {label}",
        Key::MethodMadeDefault => "{label} is now your default",
        Key::AddMethodHeading => "Add a payout method",
        Key::AddMethod => "Add payout method",
        Key::AddMethodFailed => "We couldn't add this payout method.",
        Key::AddMethodToContinue => "Add a payout method to continue.",
        Key::ManagePaymentsIntro => "Connect the US bank account you pay from.",
        Key::YourBankAccounts => "Your bank accounts",
        Key::LoadingBankAccounts => "Loading your bank accounts…",
        Key::LoadBankAccountsFailed => "We couldn't load your bank accounts.",
        Key::NoBankAccounts => "No bank account connected yet",
        Key::BankAccountLabel => "{type} ••••{last4}",
        Key::RoutingLine => "Routing number {routing}",
        Key::RemoveBankQuestion => "Remove {label}?",
        Key::RemoveBankDetails => "You can connect it again later.",
        Key::RemoveBankFailed => "We couldn't remove this bank account.",
        Key::BankAccountAdded => "Connected {label}",
        Key::BankAccountRemoved => "Removed {label}",
        Key::AddBankHeading => "Connect a bank account",
        Key::AddBank => "Connect bank account",
        Key::AddBankFailed => "We couldn't connect this bank account.",
        Key::AddBankToContinue => "Connect a bank account to continue.",
        Key::LoadingBalance => "Loading your balance…",
        Key::LoadBalanceFailed => "We couldn't load your balance.",
        Key::AvailableToWithdraw => "Available to withdraw",
        Key::PendingBalance => "{amount} pending",
        Key::NothingToPayOut => "Nothing to pay out yet",
        Key::NothingToPayOutBody => "When money arrives in your balance, you can withdraw it here.",
        Key::CheckAgain => "Check again",
        Key::NoMethodForPayout => {
            "Add where you'd like to receive your money, then choose an amount."
        }
        Key::FeePaidByPlatform => "Fee {fee}, paid by the sender",
        Key::FeePaidByUser => "Fee {fee}, deducted from your payout",
        Key::YouReceive => "You'll receive {net}",
        Key::ReviewPayout => "Review payout",
        Key::PayoutRefused => "We couldn't make this payout.",
        Key::PayoutBlockedTitle => "Payouts aren't available",
        Key::PayoutBlockedBody => "Payouts aren't available for your account here. Please contact the platform that sent you this link.",
        Key::ReviewTitle => "Review your payout",
        Key::SummaryAmount => "Amount",
        Key::SummaryTo => "To",
        Key::ConfirmPayout => "Confirm payout",
        Key::SendingPayout => "Sending your payout…",
        Key::PayoutUnconfirmed => "We couldn't confirm your payout. Try again.",
        Key::PayoutCompletedTitle => "Payout complete",
        Key::PayoutCompletedBody => "{net} was sent to {method}.",
        Key::PayoutPendingTitle => "Payout pending",
        Key::PayoutPendingAch => "Pending — ACH payouts usually arrive in 1–3 business days",
        Key::PayoutPendingOther => "Pending — this page updates when your payout arrives",
        Key::PayoutPendingNet => "{net} is on its way to {method}.",
        Key::CheckStatus => "Check status",
        Key::RefreshFailed => "We couldn't refresh the status. We'll keep trying.",
        Key::PayoutFailedTitle => "Your payout didn't go through",
        Key::PayoutFailedBody => "The money is back in your balance. You can try again.",
        Key::AuthPhoneIntro => "Enter your mobile number. We'll text you a code to confirm it's you.",
        Key::FieldCountryCode => "Country code",
        Key::CountryCodeHint => "Digits only: 1 for the US and Canada, 44 for the UK",
        Key::FieldPhone => "Mobile number",
        Key::SendCode => "Send code",
        Key::Sending => "Sending…",
        Key::CodeSentTo => "We sent a code to {sent_to}",
        Key::CodeResentTo => "We sent a new code to {sent_to}",
        Key::FieldCode => "Code",
        Key::CodeHint => "The 6 digits in the text message",
        Key::Verify => "Verify",
        Key::Verifying => "Verifying…",
        Key::ResendCode => "Resend code",
        Key::ResendIn => "Resend in {seconds} s",
        Key::NewCodeIn => "You can ask for a new code in {seconds} s",
        Key::ChangeNumber => "Use a different number",
        Key::ProfileIntro => "Welcome! Tell us who you are to finish signing up.",
        Key::FieldFirstName => "First name",
        Key::FieldLastName => "Last name",
        Key::FieldEmail => "Email",
        Key::CreateAccount => "Create account",
        Key::Creating => "Creating…",
        Key::AuthFailed => "We couldn't sign you in.",
        Key::SendCodeFailed => "We couldn't send you a code.",
        Key::ResendFailed => "We couldn't send a new code yet.",
        Key::ComplianceIntro => "We need your tax information before we can pay you. Only the last 4 digits of your tax ID are kept visible.",
        Key::FieldCountry => "Country of residence",
        Key::FieldLegalFirstName => "Legal first name",
        Key::FieldLegalLastName => "Legal last name",
        Key::FieldDateOfBirth => "Date of birth",
        Key::FieldTin => "SSN or ITIN",
        Key::TinHint => "9 digits, like 123-45-6789. Hidden once you leave the field.",
        Key::FieldSsn => "Social Security number",
        Key::FieldForeignTaxId => "Tax ID number",
        Key::ForeignTaxIdHint => "The tax identification number of your country of residence",
        Key::AddressHeading => "Home address",
        Key::FieldLine1 => "Street address",
        Key::FieldLine2 => "Apartment, suite or unit (optional)",
        Key::FieldCity => "City",
        Key::FieldState => "State",
        Key::ChooseState => "Choose a state",
        Key::FieldRegion => "State, province or region (optional)",
        Key::FieldZip => "ZIP code",
        Key::FieldPostalCode => "Postal code (optional)",
        Key::SaveTaxInfo => "Save tax information",
        Key::Saving => "Saving…",
        Key::ComplianceFailed => "We couldn't save your tax information.",
        Key::ComplianceSavedTitle => "Your tax information is saved",
        Key::ComplianceSavedForm => "Saved as {form}.",
        Key::FormW9 => "Form W-9",
        Key::FormW8ben => "Form W-8BEN",
        Key::TinOnFile => "SSN or ITIN {masked}",
        Key::ForeignTaxIdOnFile => "Tax ID ending in {last4}",
        Key::IdvIntro => "Add clear photos of the front and back of a government-issued ID, and a selfie. Upload a photo or use your camera.",
        Key::SideFront => "Front of ID",
        Key::SideBack => "Back of ID",
        Key::SideSelfie => "Selfie",
        Key::UploadPhoto => "Upload a photo",
        Key::UseCamera => "Use camera",
        Key::TakePhoto => "Take photo",
        Key::CameraPreview => "{side}: camera",
        Key::CameraDenied => "Camera access was blocked. You can upload a photo instead.",
        Key::CameraUnavailable => "No camera is available. You can upload a photo instead.",
        Key::CameraFailed => "The camera couldn't take a photo. Try again, or upload a photo.",
        Key::StatusNotUploaded => "Not added yet",
        Key::StatusUploading => "Uploading…",
        Key::StatusUploaded => "Uploaded",
        Key::StatusUploadFailed => "Not uploaded",
        Key::PreviewAlt => "{side} you added",
        Key::SubmitVerification => "Submit for verification",
        Key::Submitting => "Submitting…",
        Key::AddAllPhotos => "Add all three photos to submit.",
        Key::IdvSubmitFailed => "We couldn't submit your photos.",
        Key::IdvResuming => "Getting your ID verification result…",
        Key::IdvVerified => "Your ID is verified",
        Key::IdvVerifiedBody => "Thanks! You can continue.",
        Key::IdvNeedsReview => "We'll review your ID",
        Key::IdvNeedsReviewBody => "We'll review your ID and let you know if we need anything else. You can continue meanwhile.",
        Key::IdvFailed => "We couldn't verify your ID",
        Key::IdvFailedBody => "Take new photos and try again: make sure the whole ID is in the picture, sharp and well lit.",
        Key::BgcIntro => "We check public records before payouts start. We need your SSN, date of birth and home address.",
        Key::BgcOnFileIntro => "We'll run the check on the details you gave with your tax information.",
        Key::BgcOnFileAddress => "Home address",
        Key::SsnLast4 => "•••• {last4}",
        Key::BgcLoadingFile => "Getting your details…",
        Key::BgcUsOnly => "Background checks are for US residents only, so you don't need one. Continue to go on.",
        Key::RunCheck => "Run background check",
        Key::Checking => "Checking…",
        Key::BgcSubmitFailed => "We couldn't run your background check.",
        Key::BgcClear => "Background check complete",
        Key::BgcClearBody => "Nothing was found that affects your payouts.",
        Key::BgcFailed => "Background check not completed",
        Key::BgcFailedBody => "We couldn't complete your background check. The site that sent you here has been notified.",
        Key::BgcNotEligible => "No background check needed",
        Key::BgcNotUs => "Background checks are for US residents only, so you don't need one.",
        Key::BgcUnder18 => "Background checks are for people 18 or older, so you don't need one.",
        Key::StartAgain => "Start again",
    }
}

/// The text of `key` with each `{name}` replaced by its value from `args`.
pub fn tr(key: Key, args: &[(&str, &str)]) -> String {
    let mut text = t(key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// `label`'s field broke `rule`, as one sentence in the user's language: "Routing number must
/// be 9 digits". Each rule is a whole sentence with the label as a parameter, so a language
/// may put the label wherever its grammar wants it.
pub fn rule_text(label: &str, rule: Rule) -> String {
    let (key, args): (Key, Vec<(&str, String)>) = match rule {
        Rule::Required => (Key::RuleRequired, vec![]),
        Rule::Empty => (Key::RuleEmpty, vec![]),
        Rule::MaxChars { max } => (Key::RuleMaxChars, vec![("max", max.to_string())]),
        Rule::NoControlChars => (Key::RuleNoControlChars, vec![]),
        Rule::OnlyDigits => (Key::RuleOnlyDigits, vec![]),
        Rule::OnlyLettersAndDigits => (Key::RuleOnlyLettersAndDigits, vec![]),
        Rule::Digits { count } => (Key::RuleDigits, vec![("count", count.to_string())]),
        Rule::DigitsBetween { min, max } => (
            Key::RuleDigitsBetween,
            vec![("min", min.to_string()), ("max", max.to_string())],
        ),
        Rule::LettersOrDigitsBetween { min, max } => (
            Key::RuleLettersOrDigitsBetween,
            vec![("min", min.to_string()), ("max", max.to_string())],
        ),
        Rule::Email => (Key::RuleEmail, vec![]),
        Rule::CountryCallingCode => (Key::RuleCountryCallingCode, vec![]),
        Rule::PhoneDigitsForCountryCode {
            digits,
            country_code,
        } => (
            Key::RulePhoneDigitsForCountryCode,
            vec![
                ("digits", digits.to_string()),
                ("country_code", country_code.to_string()),
            ],
        ),
        Rule::PhoneLength { min, max } => (
            Key::RulePhoneLength,
            vec![("min", min.to_string()), ("max", max.to_string())],
        ),
        Rule::SentCode { digits } => (Key::RuleSentCode, vec![("digits", digits.to_string())]),
        Rule::UsState => (Key::RuleUsState, vec![]),
        Rule::Zip => (Key::RuleZip, vec![]),
        Rule::ForeignPostalCode { max } => {
            (Key::RuleForeignPostalCode, vec![("max", max.to_string())])
        }
        Rule::CountryCode => (Key::RuleCountryCode, vec![]),
        Rule::Date => (Key::RuleDate, vec![]),
        Rule::NotInFuture => (Key::RuleNotInFuture, vec![]),
        Rule::After { year } => (Key::RuleAfter, vec![("year", year.to_string())]),
        Rule::MinAge { years } => (Key::RuleMinAge, vec![("years", years.to_string())]),
        Rule::TinDigits => (Key::RuleTinDigits, vec![]),
        Rule::TinIssued => (Key::RuleTinIssued, vec![]),
        Rule::DocumentSide => (Key::RuleDocumentSide, vec![]),
        Rule::ImageType => (Key::RuleImageType, vec![]),
        Rule::MaxMegabytes { max } => (Key::RuleMaxMegabytes, vec![("max", max.to_string())]),
        Rule::MetadataSize { max } => (Key::RuleMetadataSize, vec![("max", max.to_string())]),
        Rule::MetadataShape => (Key::RuleMetadataShape, vec![]),
        Rule::AtLeastOneStep => (Key::RuleAtLeastOneStep, vec![]),
        Rule::StepTwice { step } => (Key::RuleStepTwice, vec![("step", step.as_str().to_owned())]),
        Rule::NonZero => (Key::RuleNonZero, vec![]),
        Rule::MaxCentsEitherWay { max } => {
            (Key::RuleMaxCentsEitherWay, vec![("max", max.to_string())])
        }
        Rule::AtLeastOneCent => (Key::RuleAtLeastOneCent, vec![]),
        Rule::MaxCents { max } => (Key::RuleMaxCents, vec![("max", max.to_string())]),
        Rule::AmountFormat => (Key::RuleAmountFormat, vec![]),
        Rule::TwoDecimals => (Key::RuleTwoDecimals, vec![]),
        Rule::AtMostAmount { max } => (Key::RuleAtMostAmount, vec![("max", format_cents(max))]),
        Rule::MoreThanFee { fee } => (Key::RuleMoreThanFee, vec![("fee", format_cents(fee))]),
        Rule::IdempotencyKey => (Key::RuleIdempotencyKey, vec![]),
        Rule::RoutingChecksum => (Key::RuleRoutingChecksum, vec![]),
        Rule::VenmoHandle => (Key::RuleVenmoHandle, vec![]),
        Rule::VenmoHandleOrPhone => (Key::RuleVenmoHandleOrPhone, vec![]),
        Rule::Cashtag => (Key::RuleCashtag, vec![]),
        Rule::AtLeastAmount { min } => (Key::RuleAtLeastAmount, vec![("min", format_cents(min))]),
        Rule::AtMostBalance { balance } => (
            Key::RuleAtMostBalance,
            vec![("balance", format_cents(balance))],
        ),
        Rule::HttpUrl => (Key::RuleHttpUrl, vec![]),
        Rule::UrlHost => (Key::RuleUrlHost, vec![]),
        Rule::NoSpacesOrControlChars => (Key::RuleNoSpacesOrControlChars, vec![]),
        Rule::EmbedOrigin => (Key::RuleEmbedOrigin, vec![]),
        Rule::MaxItems { max } => (Key::RuleMaxItems, vec![("max", max.to_string())]),
    };
    let mut all: Vec<(&str, &str)> = vec![("label", label)];
    all.extend(args.iter().map(|(name, value)| (*name, value.as_str())));
    tr(key, &all)
}

/// The title of a step, as headings and the progress indicator show it.
pub fn step_title(step: StepName) -> &'static str {
    t(match step {
        StepName::Compliance => Key::StepCompliance,
        StepName::IdVerification => Key::StepIdVerification,
        StepName::BackgroundCheck => Key::StepBackgroundCheck,
        StepName::ManagePayments => Key::StepManagePayments,
        StepName::ManagePayouts => Key::StepManagePayouts,
        StepName::Payout => Key::StepPayout,
        StepName::Redirect => Key::StepRedirect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_key_has_english_text() {
        let keys: HashSet<Key> = Key::ALL.into_iter().collect();
        assert_eq!(keys.len(), Key::ALL.len(), "Key::ALL lists a key twice");
        for key in Key::ALL {
            assert!(!t(key).trim().is_empty(), "{key:?} has no text");
        }
    }

    #[test]
    fn placeholders_match_their_args() {
        for key in Key::ALL {
            let args: Vec<(&str, &str)> = key.args().iter().map(|a| (*a, "X")).collect();
            for (name, _) in &args {
                assert!(
                    t(key).contains(&format!("{{{name}}}")),
                    "{key:?} lists {name} but its text does not use it"
                );
            }
            let text = tr(key, &args);
            assert!(
                !text.contains('{') && !text.contains('}'),
                "{key:?} has an unlisted placeholder: {text}"
            );
        }
    }

    #[test]
    fn interpolates_args() {
        assert_eq!(
            tr(Key::ProgressStep, &[("current", "2"), ("total", "3")]),
            "Step 2 of 3"
        );
        assert_eq!(
            tr(Key::RedirectTitle, &[("host", "example.com")]),
            "Taking you to example.com…"
        );
    }

    #[test]
    fn every_step_has_a_title() {
        let titles: HashSet<&str> = StepName::ALL.into_iter().map(step_title).collect();
        assert_eq!(titles.len(), StepName::ALL.len());
    }
}
