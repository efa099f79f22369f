//! End-to-end money (issue 4): a funded user manages payout methods and pays out through the
//! trunk-built app in Chromium, and the host sees the ledger move. Payouts must never be paid
//! twice: not on a double click, not on a retry after the connection dropped. A user whose
//! background check failed is not paid through a flow at all (issue 8). A payout that would take a
//! US user past the app's yearly reporting threshold waits for their tax data (issue 11).

use anyhow::Result;
use fantoccini::Locator;
use payout_e2e::{Browser, HostPage, Sandbox};
use payout_model::endpoint as ep;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// A user funded with `cents` from the app's wallet.
async fn funded_user(sandbox: &Sandbox, cents: i64) -> Result<String> {
    let user_id = sandbox.create_user().await?;
    sandbox.fund_user(&user_id, cents).await?;
    Ok(user_id)
}

async fn add_method(sandbox: &Sandbox, user_id: &str, method: Value) -> Result<Value> {
    sandbox
        .host_ok::<ep::AddPayoutMethod>(&payout_e2e::id(user_id)?, Some(method))
        .await
}

async fn open_flow(
    sandbox: &Sandbox,
    browser: &Browser,
    user_id: &str,
    steps: Value,
) -> Result<Value> {
    let flow = sandbox
        .create_flow(json!({"steps": steps, "user_id": user_id}))
        .await?;
    browser
        .client
        .goto(flow["link"].as_str().unwrap_or_default())
        .await?;
    Ok(flow)
}

/// A user funded with `cents` and a PayPal account, and `browser` on a payout-only flow for
/// them: the user's id and the flow.
async fn paypal_payout_flow(
    sandbox: &Sandbox,
    browser: &Browser,
    cents: i64,
) -> Result<(String, Value)> {
    let user_id = funded_user(sandbox, cents).await?;
    add_method(
        sandbox,
        &user_id,
        json!({"platform": "paypal", "email": "ada@example.com"}),
    )
    .await?;
    let flow = open_flow(sandbox, browser, &user_id, json!(["payout"])).await?;
    Ok((user_id, flow))
}

#[tokio::test(flavor = "multi_thread")]
async fn user_adds_methods_makes_paypal_default_and_pays_out() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let user_id = funded_user(&sandbox, 5_000).await?;
    let browser = Browser::start().await?;
    let flow = open_flow(
        &sandbox,
        &browser,
        &user_id,
        json!(["manage-payouts", "payout"]),
    )
    .await?;

    // ACH first: the first method becomes the default.
    browser
        .wait_for("[data-testid=step-manage-payouts]")
        .await?;
    browser.click("[data-testid=platform-ach]").await?;
    browser
        .fill_bank_account("011000015", "000123456789")
        .await?;
    browser.click("[data-testid=add-method-submit]").await?;
    browser
        .wait_for("[data-testid=payout-method][data-platform=ach][data-default=true]")
        .await?;
    // Then PayPal, made the default.
    browser.click("[data-testid=platform-paypal]").await?;
    browser
        .fill("[data-testid=paypal-email]", "ada@example.com")
        .await?;
    browser.click("[data-testid=add-method-submit]").await?;
    browser
        .click("[data-testid=payout-method][data-platform=paypal] [data-testid=payout-method-make-default]")
        .await?;
    browser
        .wait_for("[data-testid=payout-method][data-platform=paypal][data-default=true]")
        .await?;
    let methods = sandbox
        .host_ok::<ep::ListPayoutMethods>(&payout_e2e::id(&user_id)?, None)
        .await?;
    let defaults: Vec<&Value> = methods["data"]
        .as_array()
        .map(|m| m.iter().filter(|m| m["default"] == true).collect())
        .unwrap_or_default();
    assert_eq!(defaults.len(), 1, "{methods}");
    assert_eq!(defaults[0]["platform"], "paypal");
    browser
        .click("[data-testid=manage-payouts-continue]")
        .await?;

    // The payout step offers the whole balance, to the default method.
    browser.wait_for("[data-testid=step-payout]").await?;
    assert_eq!(
        browser.value_of("[data-testid=payout-amount]").await?,
        "50.00"
    );
    browser.click("[data-testid=payout-review]").await?;
    let net = browser.text_of("[data-testid=review-net]").await?;
    assert!(net.contains("$50.00"), "{net}");
    browser.click("[data-testid=payout-confirm]").await?;
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;

    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1);
    assert_eq!(payouts[0]["status"], "completed");
    assert_eq!(payouts[0]["amount"], 5_000);
    assert_eq!(payouts[0]["external_data"]["platform"], "paypal");
    assert_eq!(
        sandbox.user_wallet(&user_id).await?,
        json!({"amount": 0, "withdrawable_amount": 0})
    );
    // $100.00 opening balance − $50.00 funding − the 2% PayPal fee the platform pays.
    assert_eq!(
        sandbox.host_ok::<ep::GetAppWallet>(&(), None).await?["amount"],
        10_000 - 5_000 - 100
    );

    browser.click("[data-testid=payout-continue]").await?;
    browser.wait_for("[data-testid=screen-done]").await?;
    assert_eq!(
        sandbox.completed_steps(&flow).await?,
        json!(["manage-payouts", "payout"])
    );
    browser.close().await
}

/// Issue 11: a US user whose payout would cross the app's reporting threshold meets the
/// compliance step before the payout step, in a flow that asked for a payout only, and is paid
/// once the W-9 is in.
#[tokio::test(flavor = "multi_thread")]
async fn a_us_user_over_the_threshold_meets_compliance_before_payout() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    sandbox
        .host_ok::<ep::UpdateAppSettings>(&(), Some(json!({"reporting_threshold": 1_000})))
        .await?;
    let browser = Browser::start().await?;
    let (user_id, flow) = paypal_payout_flow(&sandbox, &browser, 2_000).await?;

    browser.fill_w9("287-65-4321").await?;
    let progress = browser.text_of("[data-testid=progress-text]").await?;
    assert_eq!(progress, "Step 1 of 2");
    browser.click("[data-testid=compliance-submit]").await?;
    browser.wait_for("[data-testid=compliance-saved]").await?;
    browser.click("[data-testid=compliance-continue]").await?;

    browser.wait_for("[data-testid=step-payout]").await?;
    let progress = browser.text_of("[data-testid=progress-text]").await?;
    assert_eq!(progress, "Step 2 of 2");
    assert_eq!(
        browser.value_of("[data-testid=payout-amount]").await?,
        "20.00"
    );
    browser.click("[data-testid=payout-review]").await?;
    browser.click("[data-testid=payout-confirm]").await?;
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    assert_eq!(payouts[0]["amount"], 2_000);
    browser.click("[data-testid=payout-continue]").await?;
    browser.wait_for("[data-testid=screen-done]").await?;
    assert_eq!(
        sandbox.completed_steps(&flow).await?,
        json!(["compliance", "payout"])
    );
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn ach_payout_stays_pending_until_simulated() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let user_id = funded_user(&sandbox, 2_000).await?;
    add_method(
        &sandbox,
        &user_id,
        json!({"platform": "ach", "routing_number": "021000021",
               "account_number": "987654321", "account_type": "savings"}),
    )
    .await?;
    let browser = Browser::start().await?;
    open_flow(&sandbox, &browser, &user_id, json!(["payout"])).await?;

    browser.click("[data-testid=payout-review]").await?;
    browser.click("[data-testid=payout-confirm]").await?;
    browser
        .wait_for("[data-testid=payout-status-pending]")
        .await?;
    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1);
    assert_eq!(payouts[0]["status"], "pending");
    assert_eq!(
        sandbox.user_wallet(&user_id).await?,
        json!({"amount": 2_000, "withdrawable_amount": 0})
    );

    let id = payouts[0]["id"].as_str().unwrap_or_default();
    let completed = json!({"status": "completed"});
    sandbox
        .host_ok::<ep::SimulateTransferStatus>(&payout_e2e::id(id)?, Some(completed))
        .await?;
    // The app keeps checking a pending payout and shows it completed.
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    assert_eq!(
        sandbox.user_wallet(&user_id).await?,
        json!({"amount": 0, "withdrawable_amount": 0})
    );
    browser.close().await
}

/// Confirm pressed twice before the app can react (two clicks dispatched in one task, then
/// Enter on the button): the browser sends one payout request, and one transfer exists.
/// (The idempotency key alone would hide a second request: the server would answer it with
/// the first transfer. So the requests are counted where the sandbox receives them.)
#[tokio::test(flavor = "multi_thread")]
async fn confirm_clicked_twice_pays_once() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let browser = Browser::start().await?;
    let (user_id, _) = paypal_payout_flow(&sandbox, &browser, 3_000).await?;

    browser.click("[data-testid=payout-review]").await?;
    browser.wait_for("[data-testid=payout-confirm]").await?;
    assert_eq!(sandbox.payout_requests.load(Ordering::SeqCst), 0);
    browser
        .eval(
            "const b = document.querySelector('[data-testid=payout-confirm]');
             b.click(); b.click();
             b.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
             return true",
        )
        .await?;
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    assert_eq!(
        sandbox.payout_requests.load(Ordering::SeqCst),
        1,
        "the browser sent more than one payout request"
    );
    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    assert_eq!(payouts[0]["amount"], 3_000);
    assert_eq!(sandbox.user_wallet(&user_id).await?["amount"], 0);
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_dropped_connection_pays_once() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let browser = Browser::start().await?;
    let (user_id, _) = paypal_payout_flow(&sandbox, &browser, 3_000).await?;

    browser.click("[data-testid=payout-review]").await?;
    // The server makes the payout, but the browser never hears back.
    sandbox
        .drop_next_payout_response
        .store(true, Ordering::SeqCst);
    browser.click("[data-testid=payout-confirm]").await?;
    browser.wait_for("[data-testid=payout-send-error]").await?;
    assert_eq!(sandbox.payouts_of(&user_id).await?.len(), 1);

    // Retrying sends the same idempotency key: the first payout comes back, no second one.
    browser.click("[data-testid=payout-retry]").await?;
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1);
    assert_eq!(sandbox.user_wallet(&user_id).await?["amount"], 0);
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_after_dropped_connection_resumes_the_same_payout() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let browser = Browser::start().await?;
    let (user_id, flow) = paypal_payout_flow(&sandbox, &browser, 3_000).await?;

    browser.click("[data-testid=payout-review]").await?;
    sandbox
        .drop_next_payout_response
        .store(true, Ordering::SeqCst);
    browser.click("[data-testid=payout-confirm]").await?;
    browser.wait_for("[data-testid=payout-send-error]").await?;

    // A reload (the link opened again) resumes the attempt with its key, not a new payout.
    browser
        .client
        .goto(flow["link"].as_str().unwrap_or_default())
        .await?;
    browser
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    assert_eq!(sandbox.payouts_of(&user_id).await?.len(), 1);
    assert_eq!(sandbox.user_wallet(&user_id).await?["amount"], 0);
    browser.close().await
}

/// Flags `user_id` the way a real user gets flagged (issue 8): a background-check flow of their
/// own, run over the flow API with the sandbox's failing SSN.
async fn flag_by_background_check(sandbox: &Sandbox, user_id: &str) -> Result<()> {
    let flow = sandbox
        .create_flow(json!({"steps": ["background-check"], "user_id": user_id}))
        .await?;
    let (status, session) = sandbox
        .flow::<ep::CreateSession>(&(), None, Some(json!({"flow_id": flow["id"]})))
        .await?;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["authenticated"], true, "{session}");
    let token = session["token"].as_str().unwrap_or_default();
    let (status, check) = sandbox
        .flow::<ep::RunBackgroundCheck>(
            &(),
            Some(token),
            Some(json!({
                "country": "US",
                "ssn": payout_sandbox::test_values::SANDBOX_FAILING_SSN,
                "date_of_birth": payout_e2e::born_years_ago(30),
                "address": {"line1": "1 Main St", "city": "San Francisco",
                            "region": "CA", "postal_code": "94103"},
            })),
        )
        .await?;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["data"]["status"], "failed", "{check}");
    let user = sandbox
        .host_ok::<ep::GetUser>(&payout_e2e::id(user_id)?, None)
        .await?;
    assert_eq!(user["has_criminal_activity"], true, "{user}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn flagged_users_payout_step_explains_and_pays_nothing() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let host = HostPage::start().await?;
    let user_id = sandbox.create_user().await?;
    flag_by_background_check(&sandbox, &user_id).await?;
    // The host may still fund them; only the flow may not pay them out.
    sandbox.fund_user(&user_id, 5_000).await?;
    add_method(
        &sandbox,
        &user_id,
        json!({"platform": "paypal", "email": "ada@example.com"}),
    )
    .await?;
    let flow = sandbox
        .create_flow(json!({"steps": ["payout"], "user_id": user_id}))
        .await?;

    let browser = Browser::start().await?;
    browser
        .client
        .goto(&host.embedding(flow["link"].as_str().unwrap_or_default(), true))
        .await?;
    // The host is told, with a code its code can branch on.
    let raw = browser.host_messages_until("error").await?;
    browser.enter_embedded_flow().await?;
    let explanation = browser.text_of("[data-testid=payout-blocked]").await?;
    assert!(
        explanation.contains(
            "Payouts aren't available for your account here. Please contact the platform that \
             sent you this link."
        ),
        "{explanation}"
    );
    for css in [
        "[data-testid=payout-amount]",
        "[data-testid=payout-review]",
        "[data-testid=payout-confirm]",
    ] {
        let found = browser.client.find_all(Locator::Css(css)).await?;
        assert!(found.is_empty(), "{css} is shown");
    }
    browser.enter_top().await?;
    let raw_now = browser
        .eval("return window.raw.filter(function (m) { return m.data.type === 'error'; });")
        .await?;
    let errors: Vec<&Value> = raw
        .iter()
        .filter(|m| m["data"]["type"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{raw:?}");
    assert_eq!(errors[0]["data"]["code"], "payout_blocked", "{raw:?}");
    assert_eq!(errors[0]["origin"], json!(sandbox.base));
    assert_eq!(
        raw_now.as_array().map(Vec::len),
        Some(1),
        "one error: {raw_now}"
    );

    // Nothing was paid: the balance is whole and no payout exists.
    assert_eq!(
        sandbox.user_wallet(&user_id).await?,
        json!({"amount": 5_000, "withdrawable_amount": 5_000})
    );
    assert!(sandbox.payouts_of(&user_id).await?.is_empty());
    browser.close().await
}

/// The user's bank accounts as the host sees them.
async fn host_bank_accounts(sandbox: &Sandbox, user_id: &str) -> Result<Vec<Value>> {
    let list = sandbox
        .host_ok::<ep::ListBankAccounts>(&payout_e2e::id(user_id)?, None)
        .await?;
    Ok(list["data"].as_array().cloned().unwrap_or_default())
}

/// The labels of the bank accounts the step lists.
async fn listed_bank_accounts(browser: &Browser) -> Result<Vec<String>> {
    let mut labels = Vec::new();
    for row in browser
        .client
        .find_all(Locator::Css("[data-testid=bank-account-label]"))
        .await?
    {
        labels.push(row.text().await?);
    }
    Ok(labels)
}

/// Issue 9: the manage-payments step end to end: two bank accounts connected through the form,
/// listed (again after a reload, from the server), one removed; the host sees the one left.
#[tokio::test(flavor = "multi_thread")]
async fn user_connects_and_removes_bank_accounts() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let user_id = sandbox.create_user().await?;
    let browser = Browser::start().await?;
    let flow = open_flow(&sandbox, &browser, &user_id, json!(["manage-payments"])).await?;
    browser
        .wait_for("[data-testid=step-manage-payments]")
        .await?;
    assert!(listed_bank_accounts(&browser).await?.is_empty());

    for (routing, account, kind) in [
        ("011000015", "000123456789", "checking"),
        ("021000021", "55554444", "savings"),
    ] {
        browser.fill_bank_account(routing, account).await?;
        browser
            .click(&format!("[data-testid=account-type-{kind}]"))
            .await?;
        browser.click("[data-testid=add-bank-submit]").await?;
        browser
            .wait_for_text("[data-testid=bank-accounts-notice]", "Connected")
            .await?;
        browser
            .wait_for_text(
                "[data-testid=bank-account-label]",
                &account[account.len() - 4..],
            )
            .await?;
        browser
            .assert_never_whole(account, "a bank account connected")
            .await?;
    }
    let host = host_bank_accounts(&sandbox, &user_id).await?;
    assert_eq!(host.len(), 2, "{host:?}");
    assert_eq!(host[0]["account_number_last4"], "6789");
    assert_eq!(host[1]["account_number_last4"], "4444");
    assert_eq!(host[1]["account_type"], "savings");

    // After a reload the list comes from the server.
    browser.client.refresh().await?;
    browser
        .wait_for_text("[data-testid=bank-account-label]", "4444")
        .await?;
    assert_eq!(
        listed_bank_accounts(&browser).await?,
        vec![
            "Checking ••••6789".to_owned(),
            "Savings ••••4444".to_owned()
        ]
    );

    // Remove the checking account, confirming.
    let checking = host[0]["id"].as_str().unwrap_or_default();
    browser
        .click(&format!(
            "[data-account-id='{checking}'] [data-testid=bank-account-remove]"
        ))
        .await?;
    browser
        .click("[data-testid=confirm-remove-confirm]")
        .await?;
    browser
        .wait_for_text(
            "[data-testid=bank-accounts-notice]",
            "Removed Checking ••••6789",
        )
        .await?;
    assert_eq!(
        listed_bank_accounts(&browser).await?,
        vec!["Savings ••••4444".to_owned()]
    );
    let host = host_bank_accounts(&sandbox, &user_id).await?;
    assert_eq!(host.len(), 1, "{host:?}");
    assert_eq!(host[0]["account_number_last4"], "4444");

    browser
        .click("[data-testid=manage-payments-continue]")
        .await?;
    browser.wait_for("[data-testid=screen-done]").await?;
    assert_eq!(
        sandbox.completed_steps(&flow).await?,
        json!(["manage-payments"])
    );
    browser.close().await
}

/// Issue 9: removing a payout method in manage-payouts: the default one, confirmed; the one
/// left becomes the default, on screen and for the host.
#[tokio::test(flavor = "multi_thread")]
async fn user_removes_the_default_payout_method() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let user_id = sandbox.create_user().await?;
    let paypal = add_method(
        &sandbox,
        &user_id,
        json!({"platform": "paypal", "email": "ada@example.com"}),
    )
    .await?;
    add_method(
        &sandbox,
        &user_id,
        json!({"platform": "cash_app", "cashtag": "$adalovelace"}),
    )
    .await?;
    let browser = Browser::start().await?;
    let flow = open_flow(&sandbox, &browser, &user_id, json!(["manage-payouts"])).await?;
    browser
        .wait_for("[data-testid=payout-method][data-platform=paypal][data-default=true]")
        .await?;
    let paypal_id = paypal["id"].as_str().unwrap_or_default();
    browser
        .click(&format!(
            "[data-method-id='{paypal_id}'] [data-testid=payout-method-remove]"
        ))
        .await?;
    browser
        .click("[data-testid=confirm-remove-confirm]")
        .await?;
    browser
        .wait_for_text("[data-testid=payout-methods-notice]", "Removed")
        .await?;
    browser
        .wait_for("[data-testid=payout-method][data-platform=cash_app][data-default=true]")
        .await?;
    let rows = browser
        .client
        .find_all(Locator::Css("[data-testid=payout-method]"))
        .await?;
    assert_eq!(rows.len(), 1);

    let methods = sandbox
        .host_ok::<ep::ListPayoutMethods>(&payout_e2e::id(&user_id)?, None)
        .await?;
    let data = methods["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 1, "{methods}");
    assert_eq!(data[0]["platform"], "cash_app");
    assert_eq!(data[0]["default"], true);

    browser
        .click("[data-testid=manage-payouts-continue]")
        .await?;
    browser.wait_for("[data-testid=screen-done]").await?;
    assert_eq!(
        sandbox.completed_steps(&flow).await?,
        json!(["manage-payouts"])
    );
    browser.close().await
}

/// Signs in on the flow's sign-in screen with `phone` (national digits, +1) and the sandbox code.
async fn sign_in_with(browser: &Browser, phone: &str) -> Result<()> {
    browser.wait_for("[data-testid=step-auth]").await?;
    browser.fill("[data-testid=auth-country-code]", "1").await?;
    browser.fill("[data-testid=auth-phone]", phone).await?;
    browser.click("[data-testid=auth-send-code]").await?;
    browser.wait_for("[data-testid=auth-code]").await?;
    browser
        .fill(
            "[data-testid=auth-code]",
            payout_sandbox::test_values::SANDBOX_CODE,
        )
        .await?;
    browser.click("[data-testid=auth-verify]").await
}

/// A payout link (issue 11): the payee opens it, signs in (which claims it), sees what it pays
/// and from whom with no amount to type, adds PayPal and is paid exactly the link's amount; a
/// second person opening the same link meanwhile is told it was already claimed, and is paid
/// nothing.
/// Issue 11: a link whose host named the payee's phone texts that phone, which the page shows
/// only by its last digits; the payee types the code alone and sees the offer.
#[tokio::test(flavor = "multi_thread")]
async fn a_payee_named_by_phone_signs_in_without_typing_it() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    sandbox.create_user().await?;
    let link = sandbox
        .post_ok(
            "/api/v2/payout-links",
            json!({"amount": 1_200, "payee": {"country_code": "1", "phone_number": "4155550123"}}),
        )
        .await?;
    let payee = Browser::start().await?;
    payee
        .client
        .goto(link["link"].as_str().unwrap_or_default())
        .await?;
    let intro = payee.text_of("[data-testid=auth-payee-phone]").await?;
    assert!(intro.ends_with("+1 ••• ••• 0123."), "{intro:?}");
    payee
        .assert_never_whole("4154332334", "the sign-in page")
        .await?;
    payee.click("[data-testid=auth-send-code]").await?;
    payee
        .fill(
            "[data-testid=auth-code]",
            payout_sandbox::test_values::SANDBOX_CODE,
        )
        .await?;
    payee.click("[data-testid=auth-verify]").await?;
    payee.wait_for("[data-testid=payout-link-offer]").await?;
    assert_eq!(
        payee.text_of("[data-testid=payout-balance]").await?,
        "$12.00"
    );
    payee.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payee_claims_a_payout_link_and_a_second_person_finds_it_claimed() -> Result<()> {
    let sandbox = Sandbox::start().await?;
    let user_id = sandbox.create_user().await?;
    let link = sandbox
        .post_ok(
            "/api/v2/payout-links",
            json!({"amount": 2_500, "memo": "Thanks for March"}),
        )
        .await?;
    let url = link["link"].as_str().unwrap_or_default().to_owned();

    let payee = Browser::start().await?;
    payee.client.goto(&url).await?;
    sign_in_with(&payee, "4155550123").await?;
    payee.wait_for("[data-testid=payout-link-offer]").await?;
    assert_eq!(
        payee.text_of("[data-testid=payout-balance]").await?,
        "$25.00"
    );
    assert_eq!(
        payee.text_of("[data-testid=payout-link-memo]").await?,
        "Thanks for March"
    );
    let claimed = sandbox
        .get_ok(&format!(
            "/api/v2/payout-links/{}",
            link["id"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(claimed["status"], "claimed");
    assert_eq!(claimed["claimed_user_id"], user_id.as_str());

    // Someone else with the same link: already claimed, nothing to fill in.
    let other = Browser::start().await?;
    other.client.goto(&url).await?;
    sign_in_with(&other, "2015550123").await?;
    let title = other
        .wait_for_text(
            "[data-testid=auth-link-unavailable-title]",
            "already claimed",
        )
        .await?;
    assert_eq!(title, "This payout was already claimed");
    assert!(other
        .client
        .find_all(Locator::Css("[data-testid=auth-code]"))
        .await?
        .is_empty());
    other.close().await?;

    // The payee adds PayPal where the payout step asks for a method, and is paid.
    payee.click("[data-testid=platform-paypal]").await?;
    payee
        .fill("[data-testid=paypal-email]", "ada@example.com")
        .await?;
    payee.click("[data-testid=add-method-submit]").await?;
    payee.wait_for("[data-testid=payout-review]").await?;
    assert!(
        payee
            .client
            .find_all(Locator::Css("[data-testid=payout-amount]"))
            .await?
            .is_empty(),
        "a link's amount is not typed"
    );
    payee.click("[data-testid=payout-review]").await?;
    payee.click("[data-testid=payout-confirm]").await?;
    payee
        .wait_for("[data-testid=payout-status-completed]")
        .await?;
    let payouts = sandbox.payouts_of(&user_id).await?;
    assert_eq!(payouts.len(), 1);
    assert_eq!(payouts[0]["amount"], 2_500);
    assert_eq!(payouts[0]["external_data"]["platform"], "paypal");
    let paid = sandbox
        .get_ok(&format!(
            "/api/v2/payout-links/{}",
            link["id"].as_str().unwrap_or_default()
        ))
        .await?;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payout_transfer_id"], payouts[0]["id"]);
    payee.close().await
}
