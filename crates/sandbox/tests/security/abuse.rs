//! Issue 8, "Abuse limits": no sign-in lock-outs, no oracle for whose phone a flow's user has,
//! a flow named by its host signs in only its user, rate limits per client IP, per flow and per
//! app,
//! amounts at the i64 extremes, the purge of expired sign-in data, and notifications paged like
//! transfers. See `tests/security.rs`.

use crate::support::{assert_ledger_invariants, keys, Auth, TestApp, TestResponse};
use axum::http::{header, Method};
use chrono::{Duration, Utc};
use payout_sandbox::{purge_expired, Limit, Purged, RateLimits};
use serde_json::{json, Value};
use std::net::SocketAddr;

const BOB_PHONE: (&str, &str) = ("1", "4154332334");
const STRANGER_PHONE: (&str, &str) = ("44", "7911123456");

fn redirect() -> Value {
    json!({"name": "redirect", "redirect_url": "https://host.example/done"})
}

/// A fresh session of `flow`; its token.
async fn session_of(app: &TestApp, flow: &Value) -> String {
    let session = app.create_session(&flow["id"], None).await;
    session["token"].as_str().unwrap().to_owned()
}

/// Asserts a 429 `too_many_requests` with a `Retry-After` of `seconds`; returns the message.
#[track_caller]
fn assert_slowed(res: &TestResponse, seconds: &str) -> String {
    let body = res.assert_error(429, "too_many_requests");
    assert_eq!(res.header(header::RETRY_AFTER), seconds, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

mod lock_out {
    use super::*;

    /// Before issue 8, ten wrong codes for a number within an hour, from any sessions, made
    /// every code for it fail, the right one included: a stranger locked the owner out.
    #[tokio::test]
    async fn a_strangers_wrong_codes_never_lock_the_owner_out() {
        let app = TestApp::new().await;
        let bob = app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;

        // A stranger's session asks codes for Bob's number and guesses: 10 wrong tries, what
        // used to lock the number for an hour.
        let stranger = session_of(&app, &flow).await;
        for round in 0..2 {
            let res = app.ask_code(&stranger, BOB_PHONE.0, BOB_PHONE.1).await;
            assert_eq!(res.status, 200, "round {round}: {}", res.text());
            for _ in 0..5 {
                let res = app.verify_code(&stranger, "123456").await;
                if res.status == 429 {
                    // The stranger's session is slowed: wait it out and guess again.
                    let wait: i64 = res.header(header::RETRY_AFTER).parse().unwrap();
                    app.advance(Duration::seconds(wait));
                    app.verify_code(&stranger, "123456")
                        .await
                        .assert_invalid_field("code");
                } else {
                    res.assert_invalid_field("code");
                }
            }
            app.advance(Duration::seconds(30));
        }

        // Bob, in his own session, asks for a fresh code and types it: he is in.
        let owner = session_of(&app, &flow).await;
        let res = app.ask_code(&owner, "1", "(415) 433-2334").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app.verify_code(&owner, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["status"], "signed_in");
        assert_eq!(body["flow"]["user_id"], bob["id"]);
    }

    #[tokio::test]
    async fn wrong_codes_slow_the_session_that_typed_them_more_and_more() {
        let app = TestApp::new().await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        assert_eq!(
            app.ask_code(&token, BOB_PHONE.0, BOB_PHONE.1).await.status,
            200
        );
        for _ in 0..5 {
            app.verify_code(&token, "123456")
                .await
                .assert_invalid_field("code");
        }
        // The code is burnt, and the session waits 1 s before it may even be told so.
        let message = assert_slowed(&app.verify_code(&token, "000000").await, "1");
        assert_eq!(
            message,
            "too many wrong codes; wait 1 second before trying again"
        );
        app.advance(Duration::seconds(1));
        assert_eq!(
            app.verify_code(&token, "000000")
                .await
                .assert_invalid_field("code"),
            "too many wrong tries; ask for a new code"
        );

        // A new code; every wrong try from now on doubles the wait.
        app.advance(Duration::seconds(30));
        assert_eq!(
            app.ask_code(&token, BOB_PHONE.0, BOB_PHONE.1).await.status,
            200
        );
        for wait in [2, 4, 8] {
            app.verify_code(&token, "123456")
                .await
                .assert_invalid_field("code");
            let message =
                assert_slowed(&app.verify_code(&token, "000000").await, &wait.to_string());
            assert_eq!(
                message,
                format!("too many wrong codes; wait {wait} seconds before trying again")
            );
            app.advance(Duration::seconds(wait));
        }
        // Waited out, the right code still works.
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "signed_in");
    }
}

mod oracle {
    use super::*;

    /// Before issue 8, a `require_auth` flow (or one past its pre-authentication window)
    /// answered 403 to a code for any number but its user's: whoever held the link could test
    /// numbers until one was accepted.
    #[tokio::test]
    async fn sending_a_code_answers_the_same_whoever_the_number_belongs_to() {
        let app = TestApp::new().await;
        let bob = app.create_user().await;
        let anonymous = app.create_flow(json!({"steps": [redirect()]})).await;
        let require_auth = app
            .create_flow(json!({"steps": [redirect()], "user_id": bob["id"], "require_auth": true}))
            .await;
        let named = app
            .create_flow(json!({"steps": [redirect()], "user_id": bob["id"]}))
            .await;
        app.advance(Duration::minutes(16)); // past the pre-authentication window
        for flow in [&anonymous, &require_auth, &named] {
            let mut shapes = Vec::new();
            for (cc, number) in [BOB_PHONE, STRANGER_PHONE] {
                let token = session_of(&app, flow).await;
                let res = app.ask_code(&token, cc, number).await;
                assert_eq!(res.status, 200, "{}", res.text());
                shapes.push(keys(&res.json()));
                // The resend cooldown is per number: let it pass before the next flow.
            }
            assert_eq!(shapes[0], shapes[1], "{flow}");
            assert_eq!(
                shapes[0],
                [
                    "country_code",
                    "expires_at",
                    "last4",
                    "resend_at",
                    "sent_to"
                ]
            );
            app.advance(Duration::seconds(30));
        }
    }

    async fn host_flow(app: &TestApp, flow: &Value) -> Value {
        let path = format!("/api/v2/flows/{}", flow["id"].as_str().unwrap());
        app.get(&path, Auth::App).await.json()
    }

    /// Issue 8: a flow whose user the host named signs in that user only, by their own phone:
    /// the right code for another number is refused at verify (403 naming `phone_number`), and
    /// the flow stays theirs.
    #[tokio::test]
    async fn a_flow_named_by_the_host_signs_in_only_its_users_phone() {
        for require_auth in [true, false] {
            let app = TestApp::new().await;
            let bob = app.create_user().await;
            let stranger = app
                .create_user_from(json!({
                    "first_name": "Eve", "last_name": "Stranger", "email": "eve@example.com",
                    "country_code": STRANGER_PHONE.0, "phone_number": STRANGER_PHONE.1,
                }))
                .await;
            let flow = app
                .create_flow(json!({"steps": [redirect()], "user_id": bob["id"],
                                    "require_auth": require_auth}))
                .await;
            if !require_auth {
                // Another browser once the link no longer signs in by itself.
                app.advance(Duration::minutes(16));
            }
            let token = session_of(&app, &flow).await;

            // The stranger's own phone, the right code: refused, and nothing claimed.
            assert_eq!(
                app.ask_code(&token, STRANGER_PHONE.0, STRANGER_PHONE.1)
                    .await
                    .status,
                200
            );
            let res = app.verify_code(&token, "000000").await;
            let body = res.assert_error(403, "forbidden");
            assert_eq!(
                body["fields"],
                json!([{"field": "phone_number",
                        "message": "does not belong to the person this flow is for",
                    "rule": {"code": "not_this_persons_phone"}}])
            );
            assert_eq!(host_flow(&app, &flow).await["user_id"], bob["id"]);
            let res = app.get("/api/flow/compliance", Auth::Bearer(&token)).await;
            assert_eq!(
                res.assert_error(403, "forbidden")["message"],
                "sign in to continue"
            );
            assert_ne!(bob["id"], stranger["id"]);

            // The flow's user, by their own phone: signed in as themselves.
            app.advance(Duration::seconds(30));
            assert_eq!(
                app.ask_code(&token, BOB_PHONE.0, BOB_PHONE.1).await.status,
                200
            );
            let res = app.verify_code(&token, "000000").await;
            assert_eq!(res.status, 200, "{}", res.text());
            assert_eq!(res.json()["flow"]["user_id"], bob["id"]);
        }
    }
}

mod rate_limits {
    use super::*;

    /// A server whose limits are `limits` (tests/support raises none of them).
    async fn limited(limits: RateLimits) -> TestApp {
        TestApp::with_config(|c| c.with_rate_limits(limits)).await
    }

    /// `POST path` with a JSON body, as if from the client at `ip`.
    async fn post_from(
        app: &TestApp,
        ip: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> TestResponse {
        let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
        let auth = token.map_or(Auth::None, Auth::Bearer);
        let body = Some(("application/json", body.to_string().into_bytes()));
        app.send_from(Some(peer), Method::POST, path, auth, &[], body)
            .await
    }

    #[track_caller]
    fn assert_limited(res: &TestResponse) {
        let body = res.assert_error(429, "too_many_requests");
        let retry: i64 = res.header(header::RETRY_AFTER).parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("too many requests; try again in "),
            "{body}"
        );
    }

    #[tokio::test]
    async fn minting_sessions_is_limited_per_client_ip() {
        let app = limited(RateLimits {
            sessions: Limit::new(2, 0),
            ..RateLimits::off()
        })
        .await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let mint = json!({"flow_id": flow["id"]});
        for _ in 0..2 {
            let res = post_from(&app, "192.0.2.1", "/api/flow/sessions", None, mint.clone()).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        assert_limited(
            &post_from(&app, "192.0.2.1", "/api/flow/sessions", None, mint.clone()).await,
        );
        // Another client is not held up.
        let res = post_from(&app, "192.0.2.2", "/api/flow/sessions", None, mint).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    #[tokio::test]
    async fn minting_sessions_is_limited_per_app_across_clients() {
        let app = limited(RateLimits {
            sessions: Limit::new(0, 3),
            ..RateLimits::off()
        })
        .await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let mint = json!({"flow_id": flow["id"]});
        for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
            let res = post_from(&app, ip, "/api/flow/sessions", None, mint.clone()).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        assert_limited(&post_from(&app, "192.0.2.4", "/api/flow/sessions", None, mint).await);
    }

    /// Review: one flow link (a leaked one, or the holder's own), sent from enough addresses,
    /// spent its app's whole budget and locked every other user of the app out of sign-in.
    /// A flow now has its own budget, taken before the app's.
    #[tokio::test]
    async fn one_flow_takes_only_its_own_share_of_the_apps_budget() {
        let app = limited(RateLimits {
            sessions: Limit::new(0, 3).per_flow(2),
            ..RateLimits::off()
        })
        .await;
        let leaked = app.create_flow(json!({"steps": [redirect()]})).await;
        let mint = |flow: &Value| json!({"flow_id": flow["id"]});
        for ip in ["192.0.2.1", "192.0.2.2"] {
            let res = post_from(&app, ip, "/api/flow/sessions", None, mint(&leaked)).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        for ip in ["192.0.2.3", "192.0.2.4", "192.0.2.5"] {
            assert_limited(&post_from(&app, ip, "/api/flow/sessions", None, mint(&leaked)).await);
        }
        // Another user's flow still has the app's budget left...
        let other = app.create_flow(json!({"steps": [redirect()]})).await;
        let res = post_from(&app, "192.0.2.6", "/api/flow/sessions", None, mint(&other)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // ...which the app's limit still bounds.
        let third = app.create_flow(json!({"steps": [redirect()]})).await;
        assert_limited(
            &post_from(&app, "192.0.2.7", "/api/flow/sessions", None, mint(&third)).await,
        );
    }

    /// Review: requests refused anyway (a malformed phone) spent the app's budget as they came,
    /// before any check: a flood of them locked the app's real users out. Now they spend only
    /// their client's.
    #[tokio::test]
    async fn requests_refused_anyway_do_not_spend_the_apps_budget() {
        let app = limited(RateLimits {
            codes: Limit::new(0, 1),
            ..RateLimits::off()
        })
        .await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        let code = "/api/flow/auth/code";
        for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
            post_from(
                &app,
                ip,
                code,
                Some(&token),
                json!({"country_code": "1", "phone_number": "12"}),
            )
            .await
            .assert_invalid_field("phone_number");
        }
        let res = post_from(
            &app,
            "192.0.2.4",
            code,
            Some(&token),
            json!({"country_code": "1", "phone_number": "4155550101"}),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
        // The one code spent the app's budget.
        let token = session_of(&app, &flow).await;
        assert_limited(
            &post_from(
                &app,
                "192.0.2.5",
                code,
                Some(&token),
                json!({"country_code": "1", "phone_number": "4155550102"}),
            )
            .await,
        );
    }

    /// Review: a code refused by the resend cooldown, or a try without a code, spent the flow's
    /// budget, so one client could lock the flow's person out of sign-in. Only codes that go out
    /// and tries of a live code spend it.
    #[tokio::test]
    async fn refused_codes_and_tries_spend_only_the_clients_budget() {
        let app = limited(RateLimits {
            codes: Limit::new(0, 0).per_flow(2),
            verifies: Limit::new(0, 0).per_flow(1),
            ..RateLimits::off()
        })
        .await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        let (code, verify) = ("/api/flow/auth/code", "/api/flow/auth/verify");
        for _ in 0..3 {
            post_from(
                &app,
                "192.0.2.1",
                verify,
                Some(&token),
                json!({"code": "000000"}),
            )
            .await
            .assert_error(409, "conflict");
        }
        let bob = json!({"country_code": BOB_PHONE.0, "phone_number": BOB_PHONE.1});
        let res = post_from(&app, "192.0.2.1", code, Some(&token), bob.clone()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // (Another number: the same one, its code untried, would be answered that code again.)
        let other = json!({"country_code": BOB_PHONE.0, "phone_number": "4154332335"});
        for _ in 0..3 {
            let res = post_from(&app, "192.0.2.1", code, Some(&token), other.clone()).await;
            let body = res.assert_error(429, "too_many_requests");
            assert_eq!(body["reason"]["code"], "code_cooldown", "{body}");
        }
        // The flow's budgets are whole still: one more code, and the one try that signs in.
        let other = session_of(&app, &flow).await;
        let res = post_from(&app, "192.0.2.2", code, Some(&other), bob).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = post_from(
            &app,
            "192.0.2.2",
            verify,
            Some(&other),
            json!({"code": "000000"}),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    /// Review: a sign-up had no rate limit at all, so one that kept failing could be sent
    /// without end (each a write transaction). It takes from the client's budget of checks.
    #[tokio::test]
    async fn a_sign_up_takes_from_the_clients_budget_of_checks() {
        let app = limited(RateLimits {
            verifies: Limit::new(1, 0),
            ..RateLimits::off()
        })
        .await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        assert_eq!(app.ask_code(&token, "1", "4155550123").await.status, 200);
        let res = post_from(
            &app,
            "192.0.2.1",
            "/api/flow/auth/verify",
            Some(&token),
            json!({"code": "000000"}),
        )
        .await;
        assert_eq!(res.json()["status"], "profile_required", "{}", res.text());
        let profile = json!({"first_name": "Ada", "last_name": "Lovelace",
                             "email": "ada@example.com"});
        let res = post_from(
            &app,
            "192.0.2.1",
            "/api/flow/auth/profile",
            Some(&token),
            profile.clone(),
        )
        .await;
        assert_limited(&res);
        // Another client's sign-up goes through.
        let res = post_from(
            &app,
            "192.0.2.2",
            "/api/flow/auth/profile",
            Some(&token),
            profile,
        )
        .await;
        assert_eq!(res.json()["status"], "signed_in", "{}", res.text());
    }

    #[tokio::test]
    async fn sending_codes_is_limited_per_client_ip_and_per_app() {
        let app = limited(RateLimits {
            codes: Limit::new(2, 3),
            ..RateLimits::off()
        })
        .await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let numbers = ["4155550101", "4155550102", "4155550103", "4155550104"];
        let send = |n: &str| json!({"country_code": "1", "phone_number": n});
        let mut tokens = Vec::new();
        for _ in 0..4 {
            tokens.push(session_of(&app, &flow).await);
        }
        let code = "/api/flow/auth/code";
        for i in 0..2 {
            let res = post_from(&app, "192.0.2.1", code, Some(&tokens[i]), send(numbers[i])).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        // The client's budget is spent...
        assert_limited(
            &post_from(&app, "192.0.2.1", code, Some(&tokens[2]), send(numbers[2])).await,
        );
        // ...another client still has its own, until the app's (3) is spent too.
        let res = post_from(&app, "192.0.2.2", code, Some(&tokens[2]), send(numbers[2])).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_limited(
            &post_from(&app, "192.0.2.3", code, Some(&tokens[3]), send(numbers[3])).await,
        );
    }

    #[tokio::test]
    async fn verifying_codes_is_limited_per_app_across_clients() {
        let app = limited(RateLimits {
            verifies: Limit::new(0, 2),
            ..RateLimits::off()
        })
        .await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        assert_eq!(
            app.ask_code(&token, BOB_PHONE.0, BOB_PHONE.1).await.status,
            200
        );
        let verify = "/api/flow/auth/verify";
        for ip in ["192.0.2.1", "192.0.2.2"] {
            post_from(&app, ip, verify, Some(&token), json!({"code": "123456"}))
                .await
                .assert_invalid_field("code");
        }
        // A third client finds the app's budget spent.
        let res = post_from(
            &app,
            "192.0.2.3",
            verify,
            Some(&token),
            json!({"code": "000000"}),
        )
        .await;
        assert_limited(&res);
    }

    #[tokio::test]
    async fn verifying_codes_is_limited_per_client_ip() {
        let app = limited(RateLimits {
            verifies: Limit::new(2, 0),
            ..RateLimits::off()
        })
        .await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let token = session_of(&app, &flow).await;
        assert_eq!(
            app.ask_code(&token, BOB_PHONE.0, BOB_PHONE.1).await.status,
            200
        );
        let verify = "/api/flow/auth/verify";
        for _ in 0..2 {
            post_from(
                &app,
                "192.0.2.1",
                verify,
                Some(&token),
                json!({"code": "123456"}),
            )
            .await
            .assert_invalid_field("code");
        }
        // Even the right code waits: the limit is on trying, not on being wrong.
        let res = post_from(
            &app,
            "192.0.2.1",
            verify,
            Some(&token),
            json!({"code": "000000"}),
        )
        .await;
        assert_limited(&res);
        let res = post_from(
            &app,
            "192.0.2.9",
            verify,
            Some(&token),
            json!({"code": "000000"}),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    /// Review of issue 8: a stranger asking a code for someone's number every 30 seconds must
    /// not keep its owner from getting one. The cooldown between codes to a number counts per
    /// client; the same client still waits it out across sessions.
    #[tokio::test]
    async fn a_strangers_codes_never_hold_the_owners_code_back() {
        let app = TestApp::new().await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let bob = json!({"country_code": "1", "phone_number": "4154332334"});
        let stranger = session_of(&app, &flow).await;
        let res = post_from(
            &app,
            "198.51.100.7",
            "/api/flow/auth/code",
            Some(&stranger),
            bob.clone(),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
        // The stranger, again in a fresh session from the same client: the cooldown holds.
        let again = session_of(&app, &flow).await;
        let res = post_from(
            &app,
            "198.51.100.7",
            "/api/flow/auth/code",
            Some(&again),
            bob.clone(),
        )
        .await;
        assert_eq!(
            res.assert_error(429, "too_many_requests")["code"],
            "too_many_requests"
        );

        // Bob, on his own device, gets a code at once and signs in.
        let owner = session_of(&app, &flow).await;
        let res = post_from(
            &app,
            "203.0.113.9",
            "/api/flow/auth/code",
            Some(&owner),
            bob,
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = post_from(
            &app,
            "203.0.113.9",
            "/api/flow/auth/verify",
            Some(&owner),
            json!({"code": "000000"}),
        )
        .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "signed_in");
    }
}

mod extreme_amounts {
    use super::*;

    /// Amounts at and beyond the i64 extremes, as raw JSON numbers.
    const EXTREMES: [&str; 7] = [
        "-9223372036854775808",
        "9223372036854775807",
        "-9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "1e30",
        "-1e30",
    ];

    /// Posts `template` with `"amount": AMOUNT` replaced by each extreme; each must be a 422
    /// naming `amount`.
    async fn assert_each_refused<'a>(
        app: &TestApp,
        path: &str,
        auth: &dyn Fn() -> Auth<'a>,
        template: &str,
    ) {
        for amount in EXTREMES {
            let body = template.replace("AMOUNT", amount);
            let res = app.post_raw(path, auth(), "application/json", &body).await;
            assert_eq!(res.status, 422, "{path} {amount}: {}", res.text());
            res.assert_invalid_field("amount");
        }
    }

    /// Before issue 8, `i64::MIN` in a transfer overflowed `abs()`: a panic (a dropped
    /// connection) in debug builds, and in release a negative amount that passed validation.
    #[tokio::test]
    async fn extreme_amounts_are_422_naming_the_field_on_every_money_endpoint() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let user_id = user["id"].as_str().unwrap().to_owned();
        let method = app
            .post(
                &format!("/api/v2/users/{user_id}/payout-methods"),
                Auth::App,
                json!({"platform": "paypal", "email": "bob@example.com"}),
            )
            .await;
        assert_eq!(method.status, 200, "{}", method.text());
        let method_id = method.json()["id"].as_str().unwrap().to_owned();
        let host = || Auth::App;

        assert_each_refused(
            &app,
            "/api/v2/transfers",
            &host,
            &format!(r#"{{"user_id": "{user_id}", "amount": AMOUNT}}"#),
        )
        .await;
        assert_each_refused(
            &app,
            "/api/v2/payouts",
            &host,
            &format!(r#"{{"user_id": "{user_id}", "amount": AMOUNT, "platform": "paypal", "fund": true}}"#),
        )
        .await;
        assert_each_refused(
            &app,
            "/api/v2/sandbox/refills",
            &host,
            r#"{"amount": AMOUNT}"#,
        )
        .await;

        let flow = app
            .create_flow(json!({"steps": ["payout"], "user_id": user_id}))
            .await;
        let token = session_of(&app, &flow).await;
        let bearer = || Auth::Bearer(&token);
        assert_each_refused(
            &app,
            "/api/flow/payouts",
            &bearer,
            &format!(r#"{{"amount": AMOUNT, "payout_method_id": "{method_id}", "idempotency_key": "k1"}}"#),
        )
        .await;

        // Nothing moved.
        let wallet = app.get("/api/v2/wallet", Auth::App).await.json();
        assert_eq!(wallet["amount"], 10_000);
        assert_ledger_invariants(&app.db).await;
    }

    /// Simulations take a status, not an amount; a transfer at the largest amount still moves
    /// through them with checked arithmetic.
    #[tokio::test]
    async fn simulating_a_transfer_of_the_largest_amount_works() {
        let app = TestApp::new().await;
        let refill = app
            .post(
                "/api/v2/sandbox/refills",
                Auth::App,
                json!({"amount": 100_000_000}),
            )
            .await;
        assert_eq!(refill.status, 200, "{}", refill.text());
        let id = refill.json()["id"].as_str().unwrap().to_owned();
        let res = app
            .post(
                &format!("/api/v2/sandbox/transfers/{id}/simulate"),
                Auth::App,
                json!({"status": "reversed"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app
            .post(
                &format!("/api/v2/sandbox/transfers/{id}/simulate"),
                Auth::App,
                json!({"status": 9223372036854775807_i64}),
            )
            .await;
        res.assert_invalid_field("status");
        assert_ledger_invariants(&app.db).await;
    }

    /// The ledger's sums are checked: a credit that would take a balance past `i64::MAX` is a
    /// 422 on `amount`, and nothing is written (before, SQLite turned the sum into a float).
    #[tokio::test]
    async fn a_refill_that_would_overflow_the_wallet_is_refused() {
        let app = TestApp::new().await;
        let near_max = i64::MAX - 50;
        sqlx::query("UPDATE accounts SET balance = $1 WHERE kind = 'app'")
            .bind(near_max)
            .execute(&app.db)
            .await
            .unwrap();
        let res = app
            .post("/api/v2/sandbox/refills", Auth::App, json!({"amount": 100}))
            .await;
        assert_eq!(
            res.assert_invalid_field("amount"),
            "is more than the ledger can hold"
        );
        let wallet = app.get("/api/v2/wallet", Auth::App).await;
        assert_eq!(wallet.status, 200, "{}", wallet.text());
        assert_eq!(wallet.json()["amount"], near_max);
        // What fits still goes through.
        let res = app
            .post("/api/v2/sandbox/refills", Auth::App, json!({"amount": 50}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            app.get("/api/v2/wallet", Auth::App).await.json()["amount"],
            i64::MAX
        );
    }
}

mod purge {
    use super::*;

    async fn count(app: &TestApp, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&app.db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn purging_deletes_expired_sessions_and_codes_and_keeps_live_ones() {
        let app = TestApp::new().await;
        app.create_user().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        // An old session with a code: both long expired by the end.
        let old = session_of(&app, &flow).await;
        assert_eq!(
            app.ask_code(&old, BOB_PHONE.0, BOB_PHONE.1).await.status,
            200
        );
        app.advance(Duration::days(2));
        // A live session whose code has expired (10 minutes): the code stays with its session
        // (review: purged, verifying it answered 409 "Ask for a code first" where it should
        // say the code expired); and a live session with a live code.
        let stale_code = session_of(&app, &flow).await;
        assert_eq!(
            app.ask_code(&stale_code, STRANGER_PHONE.0, STRANGER_PHONE.1)
                .await
                .status,
            200
        );
        app.advance(Duration::minutes(11));
        let live = session_of(&app, &flow).await;
        assert_eq!(app.ask_code(&live, "1", "2015550123").await.status, 200);
        assert_eq!(count(&app, "flow_sessions").await, 3);
        assert_eq!(count(&app, "sign_in_codes").await, 3);

        let now = Utc::now() + Duration::days(2) + Duration::minutes(11);
        let purged = purge_expired(&app.db, now).await.unwrap();
        assert_eq!(
            purged,
            Purged {
                sessions: 1,
                codes: 1,
                phone_events: 1
            }
        );
        assert_eq!(count(&app, "flow_sessions").await, 2);
        assert_eq!(count(&app, "sign_in_codes").await, 2);
        assert_eq!(count(&app, "phone_sign_in_events").await, 2);

        // The old token names nothing now; the live ones work, the live code still verifies.
        app.get("/api/flow/state", Auth::Bearer(&old))
            .await
            .assert_error(401, "unauthorized");
        let res = app.get("/api/flow/state", Auth::Bearer(&stale_code)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app.verify_code(&stale_code, "000000").await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.json()["fields"][0]["field"], "code", "{}", res.text());
        assert_eq!(
            res.json()["fields"][0]["rule"]["code"],
            "code_expired",
            "{}",
            res.text()
        );
        let res = app.verify_code(&live, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "profile_required");
        // Nothing left to purge.
        assert_eq!(
            purge_expired(&app.db, now).await.unwrap(),
            Purged::default()
        );
    }
}

mod notifications {
    use super::*;

    /// `count` events of the default app (notifications are events since issue 10), oldest
    /// first, in place of the one it had (its opening refill's); their ids.
    async fn seed(app: &TestApp, count: i64) -> Vec<String> {
        let app_id: String = sqlx::query_scalar("SELECT id FROM apps")
            .fetch_one(&app.db)
            .await
            .unwrap();
        sqlx::query("DELETE FROM events")
            .execute(&app.db)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for seq in 1..=count {
            let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
            let created = Utc::now().timestamp_millis() + seq;
            let payload = serde_json::json!({"id": id, "type": "user.updated",
                "created": "2026-12-02T10:00:00Z", "app_id": app_id, "data": {}});
            sqlx::query(
                "INSERT INTO events (id, app_id, kind, payload, created, seq) \
                 VALUES ($1, $2, 'user.updated', $3, $4, $5)",
            )
            .bind(&id)
            .bind(&app_id)
            .bind(payload.to_string())
            .bind(created)
            .bind(seq)
            .execute(&app.db)
            .await
            .unwrap();
            ids.push(id);
        }
        ids
    }

    async fn page(app: &TestApp, query: &str) -> (Vec<String>, bool) {
        let res = app
            .get(&format!("/api/v2/notifications{query}"), Auth::App)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(keys(&body), ["data", "has_more"]);
        let ids = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        (ids, body["has_more"].as_bool().unwrap())
    }

    /// Before issue 8 the list returned every notification at once, with no way to page.
    #[tokio::test]
    async fn notifications_are_paged_like_transfers() {
        let app = TestApp::new().await;
        let ids = seed(&app, 12).await;
        let newest_first: Vec<String> = ids.iter().rev().cloned().collect();

        let (first, more) = page(&app, "").await;
        assert_eq!((first.as_slice(), more), (&newest_first[..10], true));
        let (second, more) = page(&app, &format!("?limit=5&starting_after={}", first[9])).await;
        assert_eq!((second.as_slice(), more), (&newest_first[10..], false));
        let (back, more) = page(&app, &format!("?limit=3&ending_before={}", second[0])).await;
        assert_eq!((back.as_slice(), more), (&newest_first[7..10], true));
        let (all, more) = page(&app, "?limit=100").await;
        assert_eq!((all, more), (newest_first, false));

        for (query, field) in [
            ("?limit=0", "limit"),
            ("?limit=101", "limit"),
            ("?starting_after=nope", "starting_after"),
            (
                "?ending_before=00000000-0000-0000-0000-000000000000",
                "ending_before",
            ),
            (
                &format!("?starting_after={0}&ending_before={0}", ids[0]) as &str,
                "ending_before",
            ),
        ] {
            app.get(&format!("/api/v2/notifications{query}"), Auth::App)
                .await
                .assert_invalid_field(field);
        }
    }
}

/// The limits are flags and environment of the real binary (issue 8, "limits are flags with
/// sane defaults"): the binary is spawned, its stdout read for its address, and a session mint
/// past the limit answered 429 over real HTTP on loopback.
mod binary {
    use serde_json::{json, Value};
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::TcpStream;
    use std::process::{Child, Command, Stdio};

    /// The sandbox binary on a free loopback port with an in-memory database, `args` and
    /// `envs`; returns the child (killed on drop) and its `host:port`.
    struct Server(Child, String);

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// The binary on a free loopback port with an in-memory database, its stdout piped.
    fn binary() -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_payout-sandbox"));
        command
            .args(["--listen", "127.0.0.1:0", "--database", "sqlite::memory:"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        command
    }

    fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = binary()
            .args(args)
            .env("PAYOUT_SANDBOX_CLIENT_ID", "pk_bin")
            .env("PAYOUT_SANDBOX_API_KEY", "sk_bin")
            .env_remove("PAYOUT_SANDBOX_LIMIT_SESSIONS_PER_IP")
            .envs(envs.iter().copied())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // The binary prints `listening: http://<addr>` once it is bound.
        let addr = BufReader::new(stdout)
            .lines()
            .map(Result::unwrap)
            .find_map(|line| line.strip_prefix("listening: http://").map(str::to_owned))
            .expect("the binary printed its address");
        Server(child, addr)
    }

    /// One HTTP/1.1 request; `(status, body)`.
    fn request(addr: &str, method: &str, path: &str, basic: bool, body: &Value) -> (u16, Value) {
        let mut stream = TcpStream::connect(addr).unwrap();
        let body = body.to_string();
        let auth = if basic {
            // base64("pk_bin:sk_bin")
            "Authorization: Basic cGtfYmluOnNrX2Jpbg==\r\n"
        } else {
            ""
        };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let (_, rest) = response.split_once("\r\n\r\n").unwrap();
        (status, serde_json::from_str(rest).unwrap_or(Value::Null))
    }

    /// How many session mints from this client succeed before the first 429.
    fn mints_before_429(server: &Server) -> usize {
        let (status, flow) = request(
            &server.1,
            "POST",
            "/api/v2/flows",
            true,
            &json!({"steps": ["manage-payouts"]}),
        );
        assert_eq!(status, 200, "{flow}");
        let mint = json!({"flow_id": flow["id"]});
        (0..5)
            .take_while(|_| request(&server.1, "POST", "/api/flow/sessions", false, &mint).0 == 200)
            .count()
    }

    #[test]
    fn the_session_limit_is_a_flag_and_an_environment_variable() {
        let by_flag = spawn(&["--limit-sessions-per-ip", "2"], &[]);
        assert_eq!(mints_before_429(&by_flag), 2);
        let by_env = spawn(&[], &[("PAYOUT_SANDBOX_LIMIT_SESSIONS_PER_IP", "1")]);
        assert_eq!(mints_before_429(&by_env), 1);
        // The default (60 a minute) lets five through.
        let default = spawn(&[], &[]);
        assert_eq!(mints_before_429(&default), 5);
    }

    /// The lines the binary prints up to `listening:`, started with `envs`.
    fn start_lines(envs: &[(&str, &str)]) -> Vec<String> {
        let child = binary()
            .env_remove("PAYOUT_SANDBOX_CLIENT_ID")
            .env_remove("PAYOUT_SANDBOX_API_KEY")
            .env_remove("PAYOUT_SANDBOX_ORG_ID")
            .env_remove("PAYOUT_SANDBOX_ORG_KEY")
            .envs(envs.iter().copied())
            .spawn()
            .unwrap();
        crate::support::lines_until_listening(child)
    }

    /// Keys given in the environment are the caller's: stdout (often kept in a log) does not
    /// print them again at every start. Keys the start generates are printed, once.
    #[test]
    fn keys_given_in_the_environment_are_not_printed() {
        let given = start_lines(&[
            ("PAYOUT_SANDBOX_CLIENT_ID", "pk_given"),
            ("PAYOUT_SANDBOX_API_KEY", "sk_given_secret"),
            ("PAYOUT_SANDBOX_ORG_ID", "org_given"),
            ("PAYOUT_SANDBOX_ORG_KEY", "ok_given_secret"),
        ]);
        let text = given.join("\n");
        assert!(!text.contains("sk_given_secret"), "{text}");
        assert!(!text.contains("ok_given_secret"), "{text}");
        assert!(given.contains(&"org_id: org_given".to_owned()), "{text}");
        assert!(given.contains(&"client_id: pk_given".to_owned()), "{text}");

        let generated = start_lines(&[]);
        let text = generated.join("\n");
        for name in ["org_key: ", "api_key: "] {
            assert!(
                generated
                    .iter()
                    .any(|l| l.starts_with(name) && l.len() > name.len() + 8),
                "{name} in {text}"
            );
        }
    }

    #[test]
    fn a_bad_limit_is_refused_at_start_naming_the_flag() {
        let output = Command::new(env!("CARGO_BIN_EXE_payout-sandbox"))
            .args(["--listen", "127.0.0.1:0", "--database", "sqlite::memory:"])
            .args(["--limit-codes-per-ip", "many"])
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--limit-codes-per-ip"), "{stderr}");
    }
}
