//! Who the user is (issue 3), as the app and the host see it: sign-in by phone and one-time
//! code, resuming a session after a reload, compliance, ID verification, the background check,
//! and what the host reads of them. Every rule and error path, in-process, with the clock moved
//! instead of sleeping.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::header;
use chrono::{DateTime, Duration, Utc};
use payout_sandbox::{CodeSender, ParsedPhone, SendFuture};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::{adult_dob, bob, born_years_ago, ok, other_adult_dob, Auth, TestApp, TestResponse};

fn ts(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The redirect step, as a flow lists it.
fn redirect() -> Value {
    json!({"name": "redirect", "redirect_url": "https://host.example/done"})
}

/// A user with `email`, Bob otherwise.
fn user_with_email(email: &str) -> Value {
    let mut user = bob();
    user["email"] = json!(email);
    user
}

/// The resume cookie `Set-Cookie` of a response, if any.
fn set_cookie(res: &TestResponse) -> Option<String> {
    res.headers
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// `name=value` of a `Set-Cookie` value, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn cookie_name(flow_id: &Value) -> String {
    let id = uuid::Uuid::try_parse(flow_id.as_str().unwrap()).unwrap();
    format!("pf_session_{}", id.simple())
}

/// Mints an unauthenticated session for a new flow of `steps` without a user; returns
/// `(flow, token)`.
async fn anonymous_flow(app: &TestApp, steps: Value) -> (Value, String) {
    let flow = app.create_flow(json!({ "steps": steps })).await;
    let session = app.create_session(&flow["id"], None).await;
    assert_eq!(session["authenticated"], false);
    (flow, session["token"].as_str().unwrap().to_owned())
}

mod sign_in {
    use super::*;

    #[tokio::test]
    async fn sends_a_code_saying_where_and_until_when() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let res = app.ask_code(&token, "+1", "(415) 433-2334").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let sent = res.json();
        assert_eq!(sent["sent_to"], "+1 ••• ••• 2334");
        // The data the app shows the number from (issue 9).
        assert_eq!(sent["country_code"], "1");
        assert_eq!(sent["last4"], "2334");
        let ttl = ts(&sent["expires_at"]) - Utc::now();
        assert!(
            (Duration::minutes(9)..=Duration::minutes(10)).contains(&ttl),
            "{ttl}"
        );
        let cooldown = ts(&sent["resend_at"]) - Utc::now();
        assert!(
            (Duration::seconds(29)..=Duration::seconds(30)).contains(&cooldown),
            "{cooldown}"
        );
    }

    #[tokio::test]
    async fn stores_only_a_salted_hash_of_the_code() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        let stored: String =
            sqlx::query_scalar("SELECT code_salt || ':' || code_hash FROM sign_in_codes")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert!(!stored.contains("000000"), "{stored}");
    }

    #[tokio::test]
    async fn rejects_a_phone_of_the_wrong_shape_naming_each_field() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let res = app.ask_code(&token, "", "41a").await;
        res.assert_invalid_field("country_code");
        res.assert_invalid_field("phone_number");
        let res = app.ask_code(&token, "1", "415433233").await;
        assert_eq!(
            res.assert_invalid_field("phone_number"),
            "must be 10 digits for country code 1"
        );
        let res = app
            .post(
                "/api/flow/auth/code",
                Auth::Bearer(&token),
                json!({"country_code": "1"}),
            )
            .await;
        res.assert_invalid_field("phone_number");
    }

    #[tokio::test]
    async fn rejects_a_number_the_phone_library_says_cannot_exist() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let res = app.ask_code(&token, "1", "1234567890").await;
        assert_eq!(
            res.assert_invalid_field("phone_number"),
            "is not a valid phone number for +1"
        );
        let res = app.ask_code(&token, "44", "1234").await;
        assert_eq!(
            res.assert_invalid_field("phone_number"),
            "is not a valid phone number for +44"
        );
        // Review: `2` typed for `44` read the number as Gabon's (`+241…`) and blamed it; a
        // country calling code no country has is named as the field at fault.
        for cc in ["2", "999"] {
            let res = app.ask_code(&token, cc, "4155550123").await;
            assert_eq!(
                res.assert_invalid_rule("country_code")["code"],
                "no_such_country_calling_code",
                "{cc}"
            );
        }
    }

    #[tokio::test]
    async fn a_signed_in_session_cannot_ask_for_a_code_or_verify() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        let res = app.ask_code(token, "1", "4154332334").await;
        let body = res.assert_error(409, "conflict");
        assert_eq!(body["message"], "you are already signed in");
        app.verify_code(token, "000000")
            .await
            .assert_error(409, "conflict");
    }

    /// Review: a verify whose answer (signed in, with the resume cookie) was lost was sent
    /// again and refused "already signed in" without the cookie: the app went on, but a reload
    /// then asked for sign-in again. The refusal carries the session's resume cookie.
    #[tokio::test]
    async fn a_verify_sent_again_after_signing_in_gets_the_resume_cookie() {
        let app = TestApp::new().await;
        app.create_user().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        let first = app.verify_code(&token, "000000").await;
        assert_eq!(first.json()["status"], "signed_in", "{}", first.text());
        let again = app.verify_code(&token, "000000").await;
        let body = again.assert_error(409, "conflict");
        assert_eq!(body["reason"]["code"], "already_signed_in");
        let cookie = set_cookie(&again).expect("the resume cookie");
        assert_eq!(
            cookie_pair(&cookie),
            cookie_pair(&set_cookie(&first).unwrap())
        );
    }

    #[tokio::test]
    async fn a_new_code_waits_for_the_cooldown_then_is_allowed() {
        let outbox = Outbox::default();
        let app = TestApp::with_code_sender(outbox.clone()).await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let first = app.ask_code(&token, "1", "4154332334").await;
        assert_eq!(first.status, 200);

        // The same number again before any try of its code (the first answer lost, say): that
        // code's answer again, and no second text (review: the user had the text while the app
        // showed a failure, and the send asked again was refused until the cooldown ended, then
        // replaced the code they were about to type).
        app.advance(Duration::seconds(5));
        let again = app.ask_code(&token, "1", "(415) 433-2334").await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json(), first.json());
        assert_eq!(outbox.0.lock().unwrap().len(), 1, "one text");

        // Once its code was tried, the same number waits for the cooldown like any other.
        app.verify_code(&token, "000000")
            .await
            .assert_invalid_field("code");
        let res = app.ask_code(&token, "1", "4154332334").await;
        let body = res.assert_error(429, "too_many_requests");
        assert_eq!(
            body["message"],
            "wait 25 seconds before asking for a new code"
        );
        // The reason travels as data, for the app to word in the user's language.
        assert_eq!(
            body["reason"],
            json!({"code": "code_cooldown", "retry_after": 25})
        );
        assert_eq!(res.header(header::RETRY_AFTER), "25");
        // So does another number.
        let res = app.ask_code(&token, "1", "4154332335").await;
        res.assert_error(429, "too_many_requests");

        app.advance(Duration::seconds(24));
        let res = app.ask_code(&token, "1", "4154332334").await;
        res.assert_error(429, "too_many_requests");
        assert_eq!(res.header(header::RETRY_AFTER), "1");

        app.advance(Duration::seconds(1));
        let res = app.ask_code(&token, "1", "4154332334").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(outbox.0.lock().unwrap().len(), 2, "a new code, texted");
    }

    /// A sender whose first text waits until the test lets it go, then fails; the others go
    /// out at once.
    #[derive(Debug, Clone, Default)]
    struct Stalled {
        started: Arc<tokio::sync::Notify>,
        go: Arc<tokio::sync::Notify>,
        calls: Arc<Mutex<usize>>,
        sent: Arc<Mutex<usize>>,
    }

    impl CodeSender for Stalled {
        fn new_code(&self) -> String {
            "424242".to_owned()
        }
        fn send<'a>(&'a self, _: &'a ParsedPhone, _: &'a str) -> SendFuture<'a> {
            Box::pin(async move {
                let first = {
                    let mut calls = self.calls.lock().unwrap();
                    *calls += 1;
                    *calls == 1
                };
                if first {
                    self.started.notify_one();
                    self.go.notified().await;
                    return Err(payout_sandbox::SendError("provider down".to_owned()));
                }
                *self.sent.lock().unwrap() += 1;
                Ok(())
            })
        }
    }

    /// Stop 41 (left alone at stop 40): a send asked again while the first was still texting
    /// its code was answered "sent" from the code's row; when that text then failed, the user
    /// waited for a code that never came. Only a code whose text went out is answered again.
    #[tokio::test]
    async fn a_code_still_going_out_is_not_answered_again() {
        let stalled = Stalled::default();
        let app = TestApp::with_code_sender(stalled.clone()).await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let (first, again) = tokio::join!(app.ask_code(&token, "1", "4154332334"), async {
            stalled.started.notified().await;
            let again = app.ask_code(&token, "1", "4154332334").await;
            // The first text fails once the second send has its answer.
            stalled.go.notify_one();
            again
        });
        first.assert_error(500, "internal");
        again.assert_error(429, "too_many_requests");
        // The failed text held nobody back: a new code goes out at once.
        let sent = app.ask_code(&token, "1", "4154332334").await;
        assert_eq!(sent.status, 200, "{}", sent.text());
        assert_eq!(*stalled.sent.lock().unwrap(), 1);
        // That one went out: asked again, its answer again, nothing sent.
        let again = app.ask_code(&token, "1", "4154332334").await;
        assert_eq!(again.json(), sent.json());
        assert_eq!(*stalled.sent.lock().unwrap(), 1);
    }

    /// Review (stop 41): a text slower than the cooldown that then failed deleted the
    /// session's code, by then a newer one that went out: the user typed it and was told no
    /// code was asked for. Only the failed text's own code goes.
    #[tokio::test]
    async fn a_text_failing_late_leaves_the_newer_code() {
        let stalled = Stalled::default();
        let app = TestApp::with_code_sender(stalled.clone()).await;
        app.create_user().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let (first, newer) = tokio::join!(app.ask_code(&token, "1", "4154332334"), async {
            stalled.started.notified().await;
            app.advance(Duration::seconds(30));
            let newer = app.ask_code(&token, "1", "4154332334").await;
            stalled.go.notify_one();
            newer
        });
        assert_eq!(newer.status, 200, "{}", newer.text());
        first.assert_error(500, "internal");
        let res = app.verify_code(&token, "424242").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "signed_in");
    }

    #[tokio::test]
    async fn a_code_expires_after_10_minutes() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        app.advance(Duration::minutes(10));
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(
            res.assert_invalid_field("code"),
            "has expired; ask for a new code"
        );
        // A new code works.
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    #[tokio::test]
    async fn a_code_just_under_10_minutes_old_still_works() {
        let app = TestApp::new().await;
        app.create_user().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        app.advance(Duration::minutes(10) - Duration::seconds(1));
        let res = app.verify_code(&token, "000 000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "signed_in");
    }

    #[tokio::test]
    async fn rejects_a_code_of_the_wrong_shape() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let res = app.verify_code(&token, "12345").await;
        assert_eq!(
            res.assert_invalid_field("code"),
            "must be the 6 digits we sent"
        );
        let res = app.verify_code(&token, "").await;
        assert_eq!(res.assert_invalid_field("code"), "is required");
        let res = app
            .post("/api/flow/auth/verify", Auth::Bearer(&token), json!({}))
            .await;
        res.assert_invalid_field("code");
    }

    #[tokio::test]
    async fn verifying_before_asking_for_a_code_is_a_conflict() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let body = app
            .verify_code(&token, "000000")
            .await
            .assert_error(409, "conflict");
        assert_eq!(body["message"], "ask for a code first");
        assert_eq!(body["reason"], json!({"code": "no_code_requested"}));
    }

    #[tokio::test]
    async fn five_wrong_tries_kill_the_code() {
        let app = TestApp::new().await;
        app.create_user().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        for left in ["4 tries left", "3 tries left", "2 tries left", "1 try left"] {
            let res = app.verify_code(&token, "123456").await;
            assert_eq!(
                res.assert_invalid_field("code"),
                format!("is not the code we sent; {left}")
            );
        }
        let res = app.verify_code(&token, "123456").await;
        assert_eq!(
            res.assert_invalid_field("code"),
            "too many wrong tries; ask for a new code"
        );
        assert_eq!(
            res.assert_invalid_rule("code"),
            json!({"code": "too_many_tries"})
        );
        // Dead: even the right code no longer works (once the session's wait is over, issue 8).
        app.advance(Duration::seconds(1));
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(
            res.assert_invalid_field("code"),
            "too many wrong tries; ask for a new code"
        );
        // A new code starts again.
        app.advance(Duration::seconds(30));
        assert_eq!(app.ask_code(&token, "1", "4154332334").await.status, 200);
        let res = app.verify_code(&token, "654321").await;
        assert_eq!(
            res.assert_invalid_field("code"),
            "is not the code we sent; 4 tries left"
        );
        assert_eq!(
            res.assert_invalid_rule("code"),
            json!({"code": "wrong_code", "tries_left": 4})
        );
        app.advance(Duration::seconds(2));
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    #[tokio::test]
    async fn the_right_code_signs_in_a_host_created_user_and_claims_the_flow() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        assert_eq!(user["verified"], false);
        let (flow, token) = anonymous_flow(&app, json!(["compliance", redirect()])).await;
        assert_eq!(app.ask_code(&token, "1", "415-433-2334").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let cookie = set_cookie(&res).expect("sign-in sets the resume cookie");
        assert!(cookie.starts_with(&format!("{}={token};", cookie_name(&flow["id"]))));
        let body = res.json();
        assert_eq!(body["status"], "signed_in");
        assert_eq!(body["flow"]["user_id"], user["id"]);
        assert_eq!(body["flow"]["completed_steps"], json!([]));

        let host_user = app
            .get(
                &format!("/api/v2/users/{}", user["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_user["verified"], true);
        assert_eq!(host_user["status"], "verified");
        let host_flow = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_flow["user_id"], user["id"]);

        // The session now acts for the user; the code is used up.
        let res = app.get("/api/flow/compliance", Auth::Bearer(&token)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json(), Value::Null);
        app.verify_code(&token, "000000")
            .await
            .assert_error(409, "conflict");
    }

    #[tokio::test]
    async fn a_duplicate_phone_signs_in_as_the_oldest_user() {
        let app = TestApp::new().await;
        let first = app.create_user().await;
        app.advance(Duration::seconds(1));
        let second = app.create_user().await;
        assert_ne!(first["id"], second["id"]);
        let (flow, _) = anonymous_flow(&app, json!([redirect()])).await;
        app.sign_in_as_bob(&flow["id"]).await;
        let host_flow = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_flow["user_id"], first["id"]);
    }

    /// Review: sign-in read every user of the app with the country code and parsed each
    /// number, under the write lock. It now looks the phone up by its E.164 form (indexed),
    /// kept at insert and filled for rows from before as the database opens; such a row still
    /// signs in, and so does one whose stored number, written otherwise, is the same phone.
    #[tokio::test]
    async fn sign_in_finds_the_phone_by_its_e164_form_also_for_rows_from_before() {
        let app = TestApp::with_file_db().await;
        let user = app.create_user().await;
        let e164 = || async {
            sqlx::query_scalar::<_, Option<String>>("SELECT phone_e164 FROM users WHERE id = $1")
                .bind(user["id"].as_str().unwrap())
                .fetch_one(&app.db)
                .await
                .unwrap()
        };
        assert_eq!(e164().await.as_deref(), Some("+14154332334"));
        // A row from before: no E.164 form, its number written with separators.
        sqlx::query(
            "UPDATE users SET phone_e164 = NULL, phone_number = '(415) 433-2334' WHERE id = $1",
        )
        .bind(user["id"].as_str().unwrap())
        .execute(&app.db)
        .await
        .unwrap();
        let (flow, _) = anonymous_flow(&app, json!([redirect()])).await;
        app.sign_in_as_bob(&flow["id"]).await;
        let claimed = |flow: Value| {
            let app = &app;
            async move {
                let path = format!("/api/v2/flows/{}", flow["id"].as_str().unwrap());
                app.get(&path, Auth::App).await.json()["user_id"].clone()
            }
        };
        assert_eq!(claimed(flow).await, user["id"]);
        // Filled as the database opens again, and found by it.
        let url = app.db.connect_options().database_url.to_string();
        payout_sandbox::connect(&url).await.unwrap();
        assert_eq!(e164().await.as_deref(), Some("+14154332334"));
        app.advance(Duration::seconds(31));
        let (flow, _) = anonymous_flow(&app, json!([redirect()])).await;
        app.sign_in_as_bob(&flow["id"]).await;
        assert_eq!(claimed(flow).await, user["id"]);
    }

    /// The waiters for the sandbox's write lock on PostgreSQL (its advisory lock) in this
    /// test's database.
    async fn write_lock_waiters(app: &TestApp) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    }

    /// Waits until `count` requests wait for the write lock.
    async fn until_write_lock_waiters(app: &TestApp, count: i64) {
        while write_lock_waiters(app).await < count {
            tokio::task::yield_now().await;
        }
    }

    /// A profile sent while the same session asks a code for another number makes no user of
    /// that number: the phone a profile's user gets is read, verified, in the transaction that
    /// makes the user, not only before it. On PostgreSQL the test holds the sandbox's write
    /// lock and sees each request wait for it, so the code request commits between the
    /// profile's first look and its write, every time; on SQLite it sends them in that order.
    #[tokio::test]
    async fn a_profile_raced_by_a_code_for_another_number_makes_no_user_of_it() {
        let app = Arc::new(TestApp::with_file_db().await);
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "44", "07911 123456").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.json(), json!({"status": "profile_required"}));

        let profile = json!({"first_name": "Ada", "last_name": "Lovelace",
                             "email": "ada@example.com"});
        let other = |app: Arc<TestApp>, token: String| async move {
            app.ask_code(&token, "1", "4155550123").await
        };
        let sign_up = |app: Arc<TestApp>, token: String, profile: Value| async move {
            app.post("/api/flow/auth/profile", Auth::Bearer(&token), profile)
                .await
        };
        let (code, res) = if std::env::var(support::POSTGRES_ENV).is_ok() {
            let mut holder = app.db.acquire().await.unwrap();
            sqlx::query("SELECT pg_advisory_lock(1885436279)")
                .execute(&mut *holder)
                .await
                .unwrap();
            let code = tokio::spawn(other(Arc::clone(&app), token.clone()));
            until_write_lock_waiters(&app, 1).await;
            let res = tokio::spawn(sign_up(Arc::clone(&app), token.clone(), profile));
            until_write_lock_waiters(&app, 2).await;
            sqlx::query("SELECT pg_advisory_unlock(1885436279)")
                .execute(&mut *holder)
                .await
                .unwrap();
            (code.await.unwrap(), res.await.unwrap())
        } else {
            let code = other(Arc::clone(&app), token.clone()).await;
            (
                code,
                sign_up(Arc::clone(&app), token.clone(), profile).await,
            )
        };
        assert_eq!(code.status, 200, "{}", code.text());
        let body = res.assert_error(409, "conflict");
        assert_eq!(body["reason"]["code"], "phone_not_verified", "{body}");
        let users: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE phone_number = '4155550123'")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(users, 0, "a user of a number nobody proved");
    }

    /// Review: two tabs of one person, on two flows of the app, both verified a new phone and
    /// were asked for a profile; each profile made a user, the second one's wallet (with what
    /// its flow paid it) out of every later sign-in's reach (that finds the oldest). The second
    /// profile signs in as the user the first made.
    #[tokio::test]
    async fn a_second_profile_for_a_phone_signs_in_as_the_user_the_first_made() {
        let app = TestApp::new().await;
        let (first_flow, first) = anonymous_flow(&app, json!([redirect()])).await;
        let (second_flow, second) = anonymous_flow(&app, json!([redirect()])).await;
        for token in [&first, &second] {
            assert_eq!(app.ask_code(token, "44", "07911 123456").await.status, 200);
            let res = app.verify_code(token, "000000").await;
            assert_eq!(res.json(), json!({"status": "profile_required"}));
            // Past the number's resend cooldown (it counts across the client's sessions).
            app.advance(chrono::Duration::minutes(1));
        }
        let profile = |name: &str| json!({"first_name": name, "last_name": "Lovelace", "email": "ada@example.com"});
        let made = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&first),
                profile("Ada"),
            )
            .await;
        assert_eq!(made.status, 200, "{}", made.text());
        let again = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&second),
                profile("Augusta"),
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json()["status"], "signed_in");
        let users: Vec<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE phone_e164 = '+447911123456'")
                .fetch_all(&app.db)
                .await
                .unwrap();
        assert_eq!(users.len(), 1, "{users:?}");
        for flow in [&first_flow, &second_flow] {
            let host = support::ok(
                app.get(
                    &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                    Auth::App,
                )
                .await,
            );
            assert_eq!(host["user_id"], users[0].as_str());
        }
    }

    /// Review of the retry's "profile required": a verify sent again while the first was still
    /// being written found the code used up only under the write lock, and was refused "ask
    /// for a code first". Both answer `profile_required`. On PostgreSQL the test holds the
    /// sandbox's write lock until both wait for it; on SQLite they go one after the other.
    #[tokio::test]
    async fn two_verifies_of_one_right_code_both_answer_profile_required() {
        let app = Arc::new(TestApp::with_file_db().await);
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "44", "07911 123456").await.status, 200);
        let verify = |app: Arc<TestApp>, token: String| async move {
            app.verify_code(&token, "000000").await
        };
        let (first, second) = if std::env::var(support::POSTGRES_ENV).is_ok() {
            let mut holder = app.db.acquire().await.unwrap();
            sqlx::query("SELECT pg_advisory_lock(1885436279)")
                .execute(&mut *holder)
                .await
                .unwrap();
            let first = tokio::spawn(verify(Arc::clone(&app), token.clone()));
            until_write_lock_waiters(&app, 1).await;
            let second = tokio::spawn(verify(Arc::clone(&app), token.clone()));
            until_write_lock_waiters(&app, 2).await;
            sqlx::query("SELECT pg_advisory_unlock(1885436279)")
                .execute(&mut *holder)
                .await
                .unwrap();
            (first.await.unwrap(), second.await.unwrap())
        } else {
            (
                verify(Arc::clone(&app), token.clone()).await,
                verify(Arc::clone(&app), token.clone()).await,
            )
        };
        for res in [first, second] {
            assert_eq!(res.status, 200, "{}", res.text());
            assert_eq!(res.json(), json!({"status": "profile_required"}));
        }
    }

    #[tokio::test]
    async fn an_unknown_phone_gives_a_profile_that_becomes_a_verified_user() {
        let app = TestApp::new().await;
        let (flow, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "44", "07911 123456").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json(), json!({"status": "profile_required"}));
        assert_eq!(set_cookie(&res), None, "not signed in yet");
        // Review: that answer lost, the verify sent again was refused "ask for a code first"
        // (the code used up): the user had to wait out the cooldown for a new one. It answers
        // the same again.
        let again = app.verify_code(&token, "000000").await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json(), json!({"status": "profile_required"}));
        // Still not signed in.
        app.get("/api/flow/compliance", Auth::Bearer(&token))
            .await
            .assert_error(403, "forbidden");

        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                json!({"first_name": " ", "last_name": "Lovelace", "email": "ada@"}),
            )
            .await;
        res.assert_invalid_field("first_name");
        res.assert_invalid_field("email");
        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                json!({"first_name": "Ada", "last_name": "Lovelace"}),
            )
            .await;
        res.assert_invalid_field("email");

        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                json!({"first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.com"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(
            set_cookie(&res).is_some(),
            "signing up sets the resume cookie"
        );
        let body = res.json();
        assert_eq!(body["status"], "signed_in");
        let user_id = body["flow"]["user_id"].as_str().unwrap().to_owned();

        // The same user object the host reads: verified, with the phone in E.164 parts.
        let user = app
            .get(&format!("/api/v2/users/{user_id}"), Auth::App)
            .await
            .json();
        assert_eq!(user["first_name"], "Ada");
        assert_eq!(user["last_name"], "Lovelace");
        assert_eq!(user["email"], "ada@example.com");
        assert_eq!(
            user["phone_number"],
            json!({"country_code": "44", "phone_number": "7911123456"})
        );
        assert_eq!(user["verified"], true);
        assert_eq!(user["status"], "verified");
        assert_eq!(user["metadata"], Value::Null);
        // With a wallet.
        let wallet = app
            .get(&format!("/api/v2/users/{user_id}/wallet"), Auth::App)
            .await;
        assert_eq!(wallet.status, 200, "{}", wallet.text());
        assert_eq!(wallet.json()["amount"], 0);
        // The flow is claimed.
        let host_flow = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_flow["user_id"], json!(user_id));
        // Only once.
        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                json!({"first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.com"}),
            )
            .await;
        res.assert_error(409, "conflict");
        // A second sign-in with that phone finds the user now (once the number's cooldown is
        // over: it holds across sessions).
        app.advance(Duration::seconds(30));
        let (flow2, token2) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token2, "+44", "7911123456").await.status, 200);
        let res = app.verify_code(&token2, "000000").await;
        assert_eq!(res.json()["status"], "signed_in");
        let host_flow = app
            .get(
                &format!("/api/v2/flows/{}", flow2["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_flow["user_id"], json!(user_id));
    }

    #[tokio::test]
    async fn a_profile_before_the_phone_is_verified_is_a_conflict() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        let profile = json!({"first_name": "Ada", "last_name": "Lovelace",
                             "email": "ada@example.com"});
        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                profile.clone(),
            )
            .await;
        let body = res.assert_error(409, "conflict");
        assert_eq!(body["message"], "verify your phone number first");
        assert_eq!(app.ask_code(&token, "44", "7911123456").await.status, 200);
        app.post("/api/flow/auth/profile", Auth::Bearer(&token), profile)
            .await
            .assert_error(409, "conflict");
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(users, 0);
    }

    #[tokio::test]
    async fn a_profile_for_a_signed_in_session_is_a_conflict() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(session["token"].as_str().unwrap()),
                json!({"first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.com"}),
            )
            .await;
        res.assert_error(409, "conflict");
    }

    #[tokio::test]
    async fn a_require_auth_flow_refuses_another_persons_phone() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let flow = app
            .create_flow(json!({"steps": [redirect()], "user_id": user["id"],
                                "require_auth": true}))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], false);
        let token = session["token"].as_str().unwrap();

        // Issue 8: sending a code tells nothing; the right code for another number is refused.
        assert_eq!(app.ask_code(token, "1", "2015550123").await.status, 200);
        let res = app.verify_code(token, "000000").await;
        let body = res.assert_error(403, "forbidden");
        assert_eq!(
            body["message"],
            "this phone number does not belong to the person this flow is for"
        );
        assert_eq!(
            body["fields"],
            json!([{"field": "phone_number",
                    "message": "does not belong to the person this flow is for",
                    "rule": {"code": "not_this_persons_phone"}}])
        );

        app.advance(Duration::seconds(30));
        assert_eq!(app.ask_code(token, "1", "(415) 433 2334").await.status, 200);
        let res = app.verify_code(token, "000000").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["status"], "signed_in");
        assert_eq!(body["flow"]["user_id"], user["id"]);
    }

    #[tokio::test]
    async fn a_passed_preauth_window_forces_sign_in_by_the_flows_user() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        app.advance(Duration::minutes(16));
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], false);
        let token = session["token"].as_str().unwrap();
        assert_eq!(app.ask_code(token, "44", "7911123456").await.status, 200);
        app.verify_code(token, "000000")
            .await
            .assert_error(403, "forbidden");
        app.advance(Duration::seconds(30));
        assert_eq!(app.ask_code(token, "1", "4154332334").await.status, 200);
        let res = app.verify_code(token, "000000").await;
        let body = res.json();
        assert_eq!(body["status"], "signed_in", "{body}");
        assert_eq!(body["flow"]["user_id"], flow["user_id"]);
        let state = app.get("/api/flow/state", Auth::Bearer(token)).await;
        assert_eq!(state.status, 200);
    }

    /// Review: the resend cooldown was per session, and sessions are free to mint, so a fresh
    /// session could send the same number a code at once.
    #[tokio::test]
    async fn the_resend_cooldown_is_per_number_across_sessions() {
        let app = TestApp::new().await;
        let (_, token_a) = anonymous_flow(&app, json!([redirect()])).await;
        let (_, token_b) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token_a, "1", "4154332334").await.status, 200);

        app.advance(Duration::seconds(10));
        // Another session (another flow, even), the same number however it is spelled.
        let res = app.ask_code(&token_b, "+1", "(415) 433-2334").await;
        let body = res.assert_error(429, "too_many_requests");
        assert_eq!(
            body["message"],
            "wait 20 seconds before asking for a new code"
        );
        assert_eq!(res.header(header::RETRY_AFTER), "20");
        // Another number is not held up by it.
        assert_eq!(app.ask_code(&token_b, "44", "7911123456").await.status, 200);

        app.advance(Duration::seconds(20));
        let (_, token_c) = anonymous_flow(&app, json!([redirect()])).await;
        let res = app.ask_code(&token_c, "1", "4154332334").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    /// A stand-in for an SMS provider: a fixed code, and a record of what was sent.
    #[derive(Debug, Default, Clone)]
    struct Outbox(Arc<Mutex<Vec<(String, String)>>>);

    impl CodeSender for Outbox {
        fn new_code(&self) -> String {
            "424242".to_owned()
        }
        fn send<'a>(&'a self, to: &'a ParsedPhone, code: &'a str) -> SendFuture<'a> {
            self.0.lock().unwrap().push((to.e164(), code.to_owned()));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn another_code_sender_can_be_plugged_in() {
        let outbox = Outbox::default();
        let app = TestApp::with_code_sender(outbox.clone()).await;
        app.create_user().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(
            app.ask_code(&token, "1", "(415) 433-2334").await.status,
            200
        );
        assert_eq!(
            *outbox.0.lock().unwrap(),
            [("+14154332334".to_owned(), "424242".to_owned())]
        );
        app.verify_code(&token, "000000")
            .await
            .assert_invalid_field("code");
        let res = app.verify_code(&token, "424242").await;
        assert_eq!(res.json()["status"], "signed_in");
    }

    #[tokio::test]
    async fn the_host_api_checks_phones_with_the_same_library() {
        let app = TestApp::new().await;
        let mut body = bob();
        body["phone_number"] = json!("1234567890");
        let res = app.post("/api/v2/users", Auth::App, body).await;
        assert_eq!(
            res.assert_invalid_field("phone_number"),
            "is not a valid phone number for +1"
        );
    }
}

mod resume {
    use super::*;

    /// A new session of `flow`, asked without a cookie (a browser opening its link).
    async fn mint(app: &TestApp, flow: &Value) -> TestResponse {
        app.post(
            "/api/flow/sessions",
            Auth::None,
            json!({"flow_id": flow["id"]}),
        )
        .await
    }

    /// A pre-authenticated flow's first session: `(flow, token, resume cookie pair)`.
    async fn preauthenticated_with_cookie(app: &TestApp) -> (Value, String, String) {
        let flow = app.create_redirect_flow().await;
        let res = mint(app, &flow).await;
        let token = res.json()["token"].as_str().unwrap().to_owned();
        let cookie = cookie_pair(&set_cookie(&res).unwrap());
        (flow, token, cookie)
    }

    #[tokio::test]
    async fn a_preauthenticated_session_sets_the_resume_cookie() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let res = mint(&app, &flow).await;
        assert_eq!(res.status, 200);
        let token = res.json()["token"].as_str().unwrap().to_owned();
        let cookie = set_cookie(&res).unwrap();
        assert_eq!(
            cookie,
            format!(
                "{}={token}; Path=/api/flow/sessions; Max-Age=28800; HttpOnly; SameSite=Strict",
                cookie_name(&flow["id"])
            )
        );
    }

    #[tokio::test]
    async fn an_unauthenticated_session_sets_no_cookie() {
        let app = TestApp::new().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let res = mint(&app, &flow).await;
        assert_eq!(res.status, 200);
        assert_eq!(set_cookie(&res), None);
    }

    #[tokio::test]
    async fn a_reload_with_the_cookie_resumes_the_same_session() {
        // The host below is on loopback: listed, since this server's public URL is not.
        let app = TestApp::with_config(|c| c.with_allowed_origins(["http://localhost:3000"])).await;
        // Two steps: progress is made, and the flow is not complete (a complete flow's link is
        // never resumed, issue 8).
        let flow = app
            .create_flow(json!({"steps": [redirect(), "manage-payouts"]}))
            .await;
        app.create_user().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        assert_eq!(app.ask_code(token, "1", "4154332334").await.status, 200);
        let signed_in = app.verify_code(token, "000000").await;
        let cookie = cookie_pair(&set_cookie(&signed_in).unwrap());
        // Progress made before the reload.
        let res = app
            .post_raw(
                "/api/flow/steps/redirect/complete",
                Auth::Bearer(token),
                "application/json",
                "",
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());

        app.advance(Duration::minutes(5));
        let cookies = format!("other=1; {cookie}");
        let res = app
            .send(
                axum::http::Method::POST,
                "/api/flow/sessions",
                Auth::None,
                &[("cookie", cookies.as_str())],
                Some((
                    "application/json",
                    json!({"flow_id": flow["id"], "host_origin": "http://localhost:3000"})
                        .to_string()
                        .into_bytes(),
                )),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let resumed = res.json();
        assert_eq!(resumed["token"], token);
        assert_eq!(resumed["authenticated"], true);
        // The resume is a request: the session has 30 minutes from it.
        let pushed = ts(&session["expires_at"]) + Duration::minutes(5);
        assert!(
            (ts(&resumed["expires_at"]) - pushed).num_seconds().abs() <= 5,
            "{resumed}"
        );
        assert_eq!(resumed["flow"]["completed_steps"], json!(["redirect"]));
        assert_eq!(
            resumed["flow"]["user_id"],
            signed_in.json()["flow"]["user_id"]
        );
        assert_eq!(resumed["host_origin"], "http://localhost:3000");
        let refreshed = set_cookie(&res).unwrap();
        let max_age: i64 = refreshed
            .split("Max-Age=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap()
            .parse()
            .unwrap();
        // Kept to the session's hard end, 8 hours after it was minted.
        assert!((28_490..=28_500).contains(&max_age), "{refreshed}");

        // The origin is checked again on every resume.
        let res = app
            .send(
                axum::http::Method::POST,
                "/api/flow/sessions",
                Auth::None,
                &[("cookie", cookie.as_str())],
                Some((
                    "application/json",
                    json!({"flow_id": flow["id"], "host_origin": "https://evil.example"})
                        .to_string()
                        .into_bytes(),
                )),
            )
            .await;
        assert_eq!(res.json()["token"], token);
        assert_eq!(res.json()["host_origin"], Value::Null);
    }

    #[tokio::test]
    async fn an_expired_cookie_is_session_expired_and_cleared() {
        let app = TestApp::new().await;
        let (flow, old_token, cookie) = preauthenticated_with_cookie(&app).await;

        app.advance(Duration::minutes(30));
        let res = app.post_session_with_cookie(&flow["id"], &cookie).await;
        let body = res.assert_error(401, "session_expired");
        assert_eq!(
            body["message"],
            "your session has expired; open the flow link again"
        );
        let cleared = set_cookie(&res).unwrap();
        assert!(
            cleared.starts_with(&format!("{}=;", cookie_name(&flow["id"]))),
            "{cleared}"
        );
        assert!(cleared.contains("Max-Age=0"), "{cleared}");

        // The browser dropped the cookie: the next mint is fresh, and past the pre-auth
        // window it asks for sign-in.
        let session = app.create_session(&flow["id"], None).await;
        assert_ne!(session["token"], json!(old_token));
        assert_eq!(session["authenticated"], false);
    }

    #[tokio::test]
    async fn an_unknown_or_foreign_cookie_is_ignored() {
        let app = TestApp::new().await;
        let flow_a = app.create_redirect_flow().await;
        let flow_b = app.create_redirect_flow().await;
        let res = mint(&app, &flow_a).await;
        let token_a = res.json()["token"].as_str().unwrap().to_owned();

        // Flow a's token under flow b's name: not a session of flow b.
        let forged = format!("{}={token_a}", cookie_name(&flow_b["id"]));
        let res = app.post_session_with_cookie(&flow_b["id"], &forged).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_ne!(res.json()["token"], json!(token_a));

        let garbage = format!("{}=nope", cookie_name(&flow_a["id"]));
        let res = app.post_session_with_cookie(&flow_a["id"], &garbage).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_ne!(res.json()["token"], json!(token_a));
    }

    /// Review: a resume wrote the embedding origin onto the session's row (a column nothing
    /// reads) through SQLite's busy handler, so a reload while another writer held the
    /// database's lock past the busy timeout (a long run of payouts) answered 500 instead of
    /// resuming. SQLite only: PostgreSQL has no database-wide write lock.
    #[tokio::test]
    async fn a_reload_resumes_while_another_writer_holds_the_database() {
        let app = TestApp::with_file_db().await;
        if support::on_postgres() {
            return;
        }
        let (flow, token, cookie) = preauthenticated_with_cookie(&app).await;
        let mut writer = app.db.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *writer)
            .await
            .unwrap();
        let res = app.post_session_with_cookie(&flow["id"], &cookie).await;
        sqlx::query("ROLLBACK").execute(&mut *writer).await.unwrap();
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["token"], json!(token));
    }

    #[tokio::test]
    async fn an_unauthenticated_session_is_never_resumed() {
        let app = TestApp::new().await;
        let flow = app.create_flow(json!({"steps": [redirect()]})).await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        let cookie = format!("{}={token}", cookie_name(&flow["id"]));
        let res = app.post_session_with_cookie(&flow["id"], &cookie).await;
        assert_eq!(res.status, 200);
        assert_ne!(res.json()["token"], json!(token));
    }

    /// Review (security): signing in through a link created without `user_id` wrote the user
    /// onto the flow, and every later session of that flow was then minted pre-authenticated
    /// for the rest of its first 15 minutes: anyone opening the link acted as that person.
    #[tokio::test]
    async fn signing_in_through_a_link_does_not_preauthenticate_it_for_others() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let flow = app
            .create_flow(json!({"steps": ["compliance", redirect()]}))
            .await;
        let session_a = app.create_session(&flow["id"], None).await;
        assert_eq!(session_a["authenticated"], false);
        let token_a = session_a["token"].as_str().unwrap();
        assert_eq!(app.ask_code(token_a, "1", "4154332334").await.status, 200);
        let signed_in = app.verify_code(token_a, "000000").await;
        assert_eq!(signed_in.json()["flow"]["user_id"], user["id"]);
        let cookie = cookie_pair(&set_cookie(&signed_in).unwrap());

        // Another browser, well within 15 minutes of the flow's creation, without the cookie.
        app.advance(Duration::minutes(1));
        let res = mint(&app, &flow).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(set_cookie(&res), None);
        let other = res.json();
        assert_eq!(other["authenticated"], false);
        let other_token = other["token"].as_str().unwrap();
        assert_ne!(other_token, token_a);
        let body = app
            .get("/api/flow/compliance", Auth::Bearer(other_token))
            .await
            .assert_error(403, "forbidden");
        assert_eq!(body["message"], "sign in to continue");
        // It may only sign in as the person who claimed the flow.
        assert_eq!(
            app.ask_code(other_token, "44", "7911123456").await.status,
            200
        );
        app.verify_code(other_token, "000000")
            .await
            .assert_error(403, "forbidden");

        // The browser that signed in resumes with its cookie.
        let res = app.post_session_with_cookie(&flow["id"], &cookie).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["token"], token_a);
        assert_eq!(res.json()["authenticated"], true);
        let res = app.get("/api/flow/compliance", Auth::Bearer(token_a)).await;
        assert_eq!(res.status, 200, "{}", res.text());

        // Only the host's user_id marks a flow pre-authenticated.
        let host_flow = app
            .create_flow(json!({"steps": [redirect()], "user_id": user["id"]}))
            .await;
        let marks: Vec<(String, i64)> =
            sqlx::query_as("SELECT id, preauthenticated FROM flows ORDER BY created")
                .fetch_all(&app.db)
                .await
                .unwrap();
        assert_eq!(
            marks,
            [
                (flow["id"].as_str().unwrap().to_owned(), 0),
                (host_flow["id"].as_str().unwrap().to_owned(), 1),
            ]
        );
        let session = app.create_session(&host_flow["id"], None).await;
        assert_eq!(session["authenticated"], true);
    }
}

/// A valid W-9 body.
fn w9() -> Value {
    json!({
        "country": "us", "first_name": " Ada ", "last_name": "Lovelace",
        "date_of_birth": adult_dob(), "tin": "123-45-6789",
        "address": {"line1": "1 Main St", "line2": "", "city": "San Francisco",
                    "region": "ca", "postal_code": "94103"}
    })
}

/// Asserts no whole tax id (`123456789` with or without separators) is in `res`'s body.
#[track_caller]
fn assert_no_whole_tin(res: &TestResponse) {
    let text = res.text();
    for whole in [
        "123-45-6789",
        "123456789",
        "123 45 6789",
        "111-11-1111",
        "111111111",
    ] {
        assert!(!text.contains(whole), "{whole} in {text}");
    }
}

/// A tax id, an SSN, an account number or a sign-in code sent as a JSON number is refused
/// naming its field, and the refusal does not carry the number back (serde's message quotes
/// what it was given).
#[tokio::test]
async fn a_secret_sent_as_a_number_is_not_echoed_in_the_error() {
    let app = TestApp::new().await;
    let digits = "123456789";
    let number: i64 = digits.parse().unwrap();
    let refused = |res: TestResponse, field: &str| {
        let message = res.assert_invalid_field(field);
        assert!(message.contains("integer"), "{message}");
        assert!(!res.text().contains(digits), "{field}: {}", res.text());
    };

    let (_, _, token) = app
        .signed_in_flow(json!(["compliance", redirect()]), bob())
        .await;
    let mut body = w9();
    body["tin"] = json!(number);
    refused(
        app.put("/api/flow/compliance", Auth::Bearer(&token), body)
            .await,
        "tin",
    );

    let (_, _, token) = app
        .signed_in_flow(json!(["background-check", redirect()]), bob())
        .await;
    let mut body = us_check("123-45-6789");
    body["ssn"] = json!(number);
    refused(run_check(&app, &token, body).await, "ssn");

    // A payout method's fields are read each as itself, after its platform.
    let user = app.create_user().await;
    let ach = json!({"platform": "ach", "routing_number": "011000015",
                     "account_number": number, "account_type": "checking"});
    let res = app
        .post(
            &format!(
                "/api/v2/users/{}/payout-methods",
                user["id"].as_str().unwrap()
            ),
            Auth::App,
            ach,
        )
        .await;
    refused(res, "account_number");

    let flow = app.create_flow(json!({"steps": [redirect()]})).await;
    let session = app.create_session(&flow["id"], None).await;
    let token = session["token"].as_str().unwrap();
    assert_eq!(app.ask_code(token, "1", "4155550123").await.status, 200);
    refused(
        app.post(
            "/api/flow/auth/verify",
            Auth::Bearer(token),
            json!({"code": number}),
        )
        .await,
        "code",
    );
}

/// A payout method's field of the wrong type, or missing for its platform, is refused naming
/// it; an unknown platform names `platform`; nothing is saved.
#[tokio::test]
async fn a_payout_methods_wrong_or_missing_field_is_named() {
    let app = TestApp::new().await;
    let user = app.create_user().await;
    let path = format!(
        "/api/v2/users/{}/payout-methods",
        user["id"].as_str().unwrap()
    );
    for (body, field) in [
        (json!({"platform": "paypal", "email": 7}), "email"),
        (json!({"platform": "paypal"}), "email"),
        (
            json!({"platform": "venmo", "email": "ada@example.com"}),
            "handle",
        ),
        (
            json!({"platform": "cash_app", "cashtag": ["$ada"]}),
            "cashtag",
        ),
        (
            json!({"platform": "ach", "routing_number": "011000015",
                   "account_number": "000123456789", "account_type": 1}),
            "account_type",
        ),
        (
            json!({"platform": "zelle", "email": "ada@example.com"}),
            "platform",
        ),
    ] {
        let res = app.post(&path, Auth::App, body.clone()).await;
        res.assert_invalid_field(field);
    }
    let listed = app.get(&path, Auth::App).await;
    assert_eq!(listed.json()["data"], json!([]));
}

mod compliance {
    use super::*;

    /// Review: a birth date sent without its zeros (`1990-4-5`, which the rule accepts) was
    /// stored and shown as sent, where the background check stores `YYYY-MM-DD`.
    #[tokio::test]
    async fn a_birth_date_is_stored_as_yyyy_mm_dd() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        let mut body = w9();
        body["date_of_birth"] = json!("1990-4-5");
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), body)
            .await;
        assert_eq!(
            res.json()["data"]["date_of_birth"],
            "1990-04-05",
            "{}",
            res.text()
        );
        assert_eq!(
            host_user(&app, &user).await["compliance"]["date_of_birth"],
            "1990-04-05"
        );
    }

    #[tokio::test]
    async fn a_us_w9_is_stored_masked_and_completes_the_step() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(json!(["compliance", redirect()]), bob())
            .await;
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), w9())
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_whole_tin(&res);
        let body = res.json();
        let data = &body["data"];
        assert_eq!(data["form"], "w9");
        assert_eq!(data["country"], "US");
        assert_eq!(data["first_name"], "Ada");
        assert_eq!(data["tin_last4"], "6789");
        assert_eq!(data["foreign_tax_id_last4"], Value::Null);
        assert_eq!(
            data["address"],
            json!({"line1": "1 Main St", "line2": null, "city": "San Francisco",
                   "region": "CA", "postal_code": "94103"})
        );
        assert_eq!(body["flow"]["completed_steps"], json!(["compliance"]));

        let res = app.get("/api/flow/compliance", Auth::Bearer(&token)).await;
        assert_no_whole_tin(&res);
        assert_eq!(res.json(), *data);

        let res = app
            .get(
                &format!("/api/v2/users/{}", user["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_no_whole_tin(&res);
        assert_eq!(res.json()["compliance"], *data);

        let stored: String = sqlx::query_scalar(
            "SELECT COALESCE(tin_last4, '') || first_name || address FROM compliance",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert!(!stored.contains("12345"), "{stored}");
    }

    #[tokio::test]
    async fn a_new_submission_replaces_the_old() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        app.put("/api/flow/compliance", Auth::Bearer(&token), w9())
            .await;
        // That flow is complete (issue 8: read-only); a later flow asks again.
        let flow = app
            .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let mut again = w9();
        again["tin"] = json!("987-65-4321");
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), again)
            .await;
        assert_eq!(res.json()["data"]["tin_last4"], "4321");
        let res = app.get("/api/flow/compliance", Auth::Bearer(&token)).await;
        assert_eq!(res.json()["tin_last4"], "4321");
    }

    #[tokio::test]
    async fn rejects_each_bad_us_field_by_name_and_stores_nothing() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        for (field, value, path, message) in [
            (
                "date_of_birth",
                json!(born_years_ago(17)),
                "date_of_birth",
                "must be at least 18 years ago",
            ),
            (
                "tin",
                json!("666-12-3456"),
                "tin",
                "is not a valid SSN or ITIN",
            ),
            ("tin", json!(null), "tin", "is required"),
        ] {
            let mut body = w9();
            body[field] = value;
            let res = app
                .put("/api/flow/compliance", Auth::Bearer(&token), body)
                .await;
            assert_eq!(res.assert_invalid_field(path), message, "{field}");
            assert_no_whole_tin(&res);
        }
        let mut body = w9();
        body["address"]["postal_code"] = json!("9410");
        body["address"]["region"] = json!("ZZ");
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), body)
            .await;
        res.assert_invalid_field("address.postal_code");
        assert_eq!(
            res.assert_invalid_field("address.region"),
            "must be a US state, like CA or NY"
        );
        let res = app.get("/api/flow/compliance", Auth::Bearer(&token)).await;
        assert_eq!(res.json(), Value::Null);
    }

    #[tokio::test]
    async fn an_eighteenth_birthday_today_is_old_enough() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        let mut body = w9();
        body["date_of_birth"] = json!(born_years_ago(18));
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), body)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    #[tokio::test]
    async fn a_w8ben_needs_a_foreign_tax_id() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        let mut body = w9();
        body["country"] = json!("GB");
        body["tin"] = json!(null);
        body["address"] = json!({"line1": "10 Downing St", "city": "London",
                                 "postal_code": "SW1A 2AA"});
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), body.clone())
            .await;
        assert_eq!(res.assert_invalid_field("foreign_tax_id"), "is required");
        body["foreign_tax_id"] = json!("AB 12 34 56 C");
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), body)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(!res.text().contains("AB 12 34 56 C"));
        let data = &res.json()["data"];
        assert_eq!(data["form"], "w8ben");
        assert_eq!(data["foreign_tax_id_last4"], "456C");
        assert_eq!(data["tin_last4"], Value::Null);
    }

    /// Issue 8: a flow without the compliance step may not submit tax details at all (it used
    /// to store them without completing anything).
    #[tokio::test]
    async fn outside_the_flows_steps_it_is_refused_and_nothing_is_stored() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!([redirect()]), bob()).await;
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), w9())
            .await;
        let body = res.assert_error(403, "step_not_allowed");
        assert!(body["message"].as_str().unwrap().contains("\"compliance\""));
        assert_eq!(host_user(&app, &user).await["compliance"], Value::Null);
    }

    #[tokio::test]
    async fn the_generic_step_completion_still_refuses_it() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["compliance"]), bob()).await;
        let res = app
            .post_raw(
                "/api/flow/steps/compliance/complete",
                Auth::Bearer(&token),
                "application/json",
                "",
            )
            .await;
        res.assert_error(409, "conflict");
    }
}

/// The smallest bodies that pass as each image type.
fn jpeg() -> Vec<u8> {
    vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']
}
fn png() -> Vec<u8> {
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()
}
fn webp() -> Vec<u8> {
    b"RIFF\x1a\0\0\0WEBPVP8 ".to_vec()
}

async fn upload(
    app: &TestApp,
    token: &str,
    side: &str,
    content_type: &str,
    body: Vec<u8>,
) -> TestResponse {
    app.put_raw(
        &format!("/api/flow/id-verification/documents/{side}"),
        Auth::Bearer(token),
        content_type,
        body,
    )
    .await
}

async fn upload_all(app: &TestApp, token: &str) {
    for (side, ct, body) in [
        ("front", "image/jpeg", jpeg()),
        ("back", "image/png", png()),
        ("selfie", "image/webp", webp()),
    ] {
        let res = upload(app, token, side, ct, body).await;
        assert_eq!(res.status, 200, "{side}: {}", res.text());
    }
}

async fn submit(app: &TestApp, token: &str) -> TestResponse {
    app.post_empty("/api/flow/id-verification/submit", Auth::Bearer(token))
        .await
}

/// How many `user.updated` events the default app has.
async fn user_updated_count(app: &TestApp) -> usize {
    let list = app.get("/api/v2/events?limit=100", Auth::App).await.json();
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "user.updated")
        .count()
}

async fn host_user(app: &TestApp, user: &Value) -> Value {
    app.get(
        &format!("/api/v2/users/{}", user["id"].as_str().unwrap()),
        Auth::App,
    )
    .await
    .json()
}

mod id_verification {
    use super::*;

    #[tokio::test]
    async fn uploads_each_picture_keeping_only_type_size_and_hash() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let res = app
            .get("/api/flow/id-verification", Auth::Bearer(&token))
            .await;
        assert_eq!(
            res.json(),
            json!({"status": "not_started", "documents": [], "decided_at": null})
        );

        let res = upload(&app, &token, "selfie", "image/webp", webp()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let doc = res.json();
        assert_eq!(doc["side"], "selfie");
        assert_eq!(doc["content_type"], "image/webp");
        assert_eq!(doc["size"], webp().len());
        assert!(doc["uploaded_at"].is_string());
        upload_all(&app, &token).await;

        let state = app
            .get("/api/flow/id-verification", Auth::Bearer(&token))
            .await
            .json();
        assert_eq!(state["status"], "not_started");
        let sides: Vec<&str> = state["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["side"].as_str().unwrap())
            .collect();
        assert_eq!(sides, ["front", "back", "selfie"]);
        // Not started: nothing on the host's user object yet.
        assert_eq!(host_user(&app, &user).await["id_verification"], Value::Null);

        let hashes: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM id_documents")
            .fetch_all(&app.db)
            .await
            .unwrap();
        assert_eq!(hashes.len(), 3);
        assert!(hashes.iter().all(|h| h.len() == 64));
    }

    #[tokio::test]
    async fn rejects_a_type_that_is_not_an_image() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let res = upload(
            &app,
            &token,
            "front",
            "application/pdf",
            b"%PDF-1.7".to_vec(),
        )
        .await;
        assert_eq!(
            res.assert_invalid_field("front"),
            "must be a JPEG, PNG or WebP image"
        );
    }

    #[tokio::test]
    async fn rejects_bytes_that_are_not_the_declared_image() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let res = upload(&app, &token, "back", "image/png", jpeg()).await;
        assert_eq!(
            res.assert_invalid_field("back"),
            "is not a JPEG, PNG or WebP image"
        );
        let res = upload(&app, &token, "back", "image/jpeg", b"<svg></svg>".to_vec()).await;
        assert_eq!(
            res.assert_invalid_field("back"),
            "is not a JPEG, PNG or WebP image"
        );
    }

    #[tokio::test]
    async fn rejects_an_oversize_or_empty_picture_with_the_envelope() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let max = 5 * 1024 * 1024;
        for size in [max + 1, max + 1024 * 1024] {
            let mut body = jpeg();
            body.resize(size, 0);
            let res = upload(&app, &token, "selfie", "image/jpeg", body).await;
            assert_eq!(
                res.assert_invalid_field("selfie"),
                "must be at most 5 MB",
                "{size}"
            );
        }
        let mut body = jpeg();
        body.resize(max, 0);
        let res = upload(&app, &token, "selfie", "image/jpeg", body).await;
        assert_eq!(res.status, 200, "exactly 5 MiB is fine: {}", res.text());

        let res = upload(&app, &token, "front", "image/jpeg", Vec::new()).await;
        assert_eq!(res.assert_invalid_field("front"), "is empty");
    }

    #[tokio::test]
    async fn rejects_an_unknown_side() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let res = upload(&app, &token, "passport", "image/jpeg", jpeg()).await;
        assert_eq!(
            res.assert_invalid_field("side"),
            "must be front, back or selfie"
        );
    }

    #[tokio::test]
    async fn submitting_names_each_missing_picture() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        let res = submit(&app, &token).await;
        for side in ["front", "back", "selfie"] {
            assert_eq!(res.assert_invalid_field(side), "is required");
        }
        upload(&app, &token, "front", "image/jpeg", jpeg()).await;
        let res = submit(&app, &token).await;
        res.assert_invalid_field("back");
        res.assert_invalid_field("selfie");
        let fields = res.json()["fields"].as_array().unwrap().len();
        assert_eq!(fields, 2);
    }

    #[tokio::test]
    async fn an_ordinary_email_is_verified_and_completes_the_step() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(json!(["id-verification", redirect()]), bob())
            .await;
        upload_all(&app, &token).await;
        let res = submit(&app, &token).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"]["status"], "verified");
        assert!(body["data"]["decided_at"].is_string());
        assert_eq!(body["data"]["documents"].as_array().unwrap().len(), 3);
        assert_eq!(body["flow"]["completed_steps"], json!(["id-verification"]));
        assert_eq!(
            host_user(&app, &user).await["id_verification"],
            body["data"]
        );
        // Decided once: a later flow's step takes no more pictures and submitting answers the
        // decision on file (this flow's step is done: issue 8 refuses it here).
        let flow2 = app
            .create_flow(json!({"steps": ["id-verification"], "user_id": user["id"]}))
            .await;
        let session = app.create_session(&flow2["id"], None).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let conflict = upload(&app, &token, "front", "image/jpeg", jpeg())
            .await
            .assert_error(409, "conflict");
        assert_eq!(conflict["message"], "your id is already verified");
        let again = submit(&app, &token).await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json()["data"], body["data"]);
    }

    #[tokio::test]
    async fn the_review_tag_needs_review_and_completes_the_step() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(
                json!(["id-verification"]),
                user_with_email("ada+review@example.com"),
            )
            .await;
        upload_all(&app, &token).await;
        let body = submit(&app, &token).await.json();
        assert_eq!(body["data"]["status"], "needs_review");
        assert_eq!(body["flow"]["completed_steps"], json!(["id-verification"]));
        assert_eq!(
            host_user(&app, &user).await["id_verification"]["status"],
            "needs_review"
        );
    }

    #[tokio::test]
    async fn the_fail_tag_fails_clears_the_pictures_and_leaves_the_step_open() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(
                json!(["id-verification"]),
                user_with_email("ada+fail@example.com"),
            )
            .await;
        upload_all(&app, &token).await;
        let res = submit(&app, &token).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"]["status"], "failed");
        assert_eq!(body["data"]["documents"], json!([]));
        assert_eq!(body["flow"]["completed_steps"], json!([]));
        let state = app
            .get("/api/flow/id-verification", Auth::Bearer(&token))
            .await
            .json();
        assert_eq!(state["status"], "failed");
        assert_eq!(state["documents"], json!([]));
        assert_eq!(
            host_user(&app, &user).await["id_verification"]["status"],
            "failed"
        );
        // The user retakes them.
        let res = submit(&app, &token).await;
        res.assert_invalid_field("front");
        upload_all(&app, &token).await;
        assert_eq!(
            submit(&app, &token).await.json()["data"]["status"],
            "failed"
        );
    }

    /// Review: submits at once (two tabs, a retried request) each read the decision as not
    /// made and each recorded one: the host got a `user.updated` for each, and a failing
    /// one decided again on pictures the first had cleared. The decision is read again where
    /// it is written: one is recorded, and every submit answers it.
    #[tokio::test]
    async fn submits_at_once_record_one_decision_and_one_event() {
        for (email, decided, completed) in [
            ("ada@example.com", "verified", json!(["id-verification"])),
            ("ada+fail@example.com", "failed", json!([])),
        ] {
            let app = TestApp::new().await;
            let (_, _, token) = app
                .signed_in_flow(json!(["id-verification"]), user_with_email(email))
                .await;
            upload_all(&app, &token).await;
            let before = user_updated_count(&app).await;
            let (a, b, c, d) = tokio::join!(
                submit(&app, &token),
                submit(&app, &token),
                submit(&app, &token),
                submit(&app, &token)
            );
            for res in [a, b, c, d] {
                // One that arrives once another is done answers what a submit after it does:
                // the flow's only step completed, or the pictures cleared for a retake.
                if res.status == 403 && decided == "verified" {
                    let body = res.assert_error(403, "step_not_allowed");
                    let message = body["message"].as_str().unwrap();
                    assert!(message.contains("this flow is complete"), "{message}");
                    continue;
                }
                if res.status == 422 && decided == "failed" {
                    res.assert_invalid_field("front");
                    continue;
                }
                assert_eq!(res.status, 200, "{email}: {}", res.text());
                let body = res.json();
                assert_eq!(body["data"]["status"], decided, "{email}");
                assert_eq!(body["flow"]["completed_steps"], completed, "{email}");
            }
            assert_eq!(user_updated_count(&app).await, before + 1, "{email}");
        }
    }

    /// Review: once verified, upload and submit answered 409, so a later flow listing
    /// id-verification had no way forward.
    #[tokio::test]
    async fn a_verified_user_is_not_stuck_on_a_later_flows_id_verification() {
        let app = TestApp::new().await;
        let (_, user, token1) = app.signed_in_flow(json!(["id-verification"]), bob()).await;
        upload_all(&app, &token1).await;
        let first = submit(&app, &token1).await.json();
        assert_eq!(first["data"]["status"], "verified");

        app.advance(Duration::minutes(1));
        let flow2 = app
            .create_flow(json!({"steps": ["id-verification", redirect()],
                                "user_id": user["id"]}))
            .await;
        let session = app.create_session(&flow2["id"], None).await;
        assert_eq!(session["authenticated"], true);
        let token2 = session["token"].as_str().unwrap();
        // Pictures are not taken again.
        upload(&app, token2, "front", "image/jpeg", jpeg())
            .await
            .assert_error(409, "conflict");
        // No uploads: the decision on file answers, and the step is completed.
        let res = submit(&app, token2).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"], first["data"], "no new decision");
        assert_eq!(body["flow"]["id"], flow2["id"]);
        assert_eq!(body["flow"]["completed_steps"], json!(["id-verification"]));
        let host_flow = app
            .get(
                &format!("/api/v2/flows/{}", flow2["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_flow["completed_steps"], json!(["id-verification"]));
        // The decision still names the flow it was made in.
        let decided_in: String = sqlx::query_scalar("SELECT flow_id FROM id_verifications")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_ne!(json!(decided_in), flow2["id"]);
    }

    /// Review: the same for a decision in review, which a later flow must not re-decide.
    #[tokio::test]
    async fn a_user_in_review_is_not_stuck_on_a_later_flows_id_verification() {
        let app = TestApp::new().await;
        let (_, user, token1) = app
            .signed_in_flow(
                json!(["id-verification"]),
                user_with_email("ada+review@example.com"),
            )
            .await;
        upload_all(&app, &token1).await;
        let first = submit(&app, &token1).await.json();
        assert_eq!(first["data"]["status"], "needs_review");

        let flow2 = app
            .create_flow(json!({"steps": ["id-verification"], "user_id": user["id"]}))
            .await;
        let token2 = app.create_session(&flow2["id"], None).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = upload(&app, &token2, "selfie", "image/webp", webp())
            .await
            .assert_error(409, "conflict");
        assert_eq!(body["message"], "your id is already being reviewed");
        assert_eq!(body["reason"], json!({"code": "id_in_review"}));
        let res = submit(&app, &token2).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"], first["data"]);
        assert_eq!(body["flow"]["completed_steps"], json!(["id-verification"]));
    }
}

/// A valid US background-check body with `ssn`.
fn us_check(ssn: &str) -> Value {
    json!({
        "country": "US", "ssn": ssn, "date_of_birth": other_adult_dob(),
        "address": {"line1": "1 Main St", "city": "Austin", "region": "TX",
                    "postal_code": "78701"}
    })
}

async fn run_check(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.post("/api/flow/background-check", Auth::Bearer(token), body)
        .await
}

/// The `user.updated` events that tell the app a user now has criminal activity, newest
/// first, read at the old notifications path (issue 10 made notifications events).
async fn flagged_events(app: &TestApp) -> Vec<Value> {
    let res = app.get("/api/v2/notifications", Auth::App).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "user.updated" && e["data"]["has_criminal_activity"] == true)
        .cloned()
        .collect()
}

mod background_check {
    use super::*;

    #[tokio::test]
    async fn an_ordinary_ssn_is_clear_and_completes_the_step() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(json!(["background-check", redirect()]), bob())
            .await;
        let res = run_check(&app, &token, us_check("123-45-6789")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_whole_tin(&res);
        let body = res.json();
        assert_eq!(body["data"]["status"], "clear");
        assert_eq!(body["data"]["reason"], Value::Null);
        assert_eq!(body["data"]["ssn_last4"], "6789");
        assert_eq!(body["flow"]["completed_steps"], json!(["background-check"]));
        let host = host_user(&app, &user).await;
        assert_eq!(host["has_criminal_activity"], false);
        assert_eq!(host["background_check"], body["data"]);
        assert_eq!(flagged_events(&app).await, Vec::<Value>::new());
    }

    /// Review: a run whose answer was lost completed the step, and every run sent again was
    /// refused (403: the step is complete), the outcome never shown. The check is read: null
    /// before a run, the check a run made after it, in a later flow too, and still once the
    /// flow is complete.
    #[tokio::test]
    async fn the_check_a_run_made_can_be_read_after_its_answer_was_lost() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let read = |token: String| {
            let app = &app;
            async move {
                let res = app
                    .get("/api/flow/background-check", Auth::Bearer(&token))
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
                assert_no_whole_tin(&res);
                res.json()
            }
        };
        assert_eq!(read(token.clone()).await, Value::Null);
        let ran = run_check(&app, &token, us_check("123-45-6789"))
            .await
            .json();
        let again = run_check(&app, &token, us_check("123-45-6789")).await;
        assert_eq!(again.status, 403, "{}", again.text());
        assert_eq!(again.json()["code"], "step_not_allowed");
        assert_eq!(ran["flow"]["completed_steps"], json!(["background-check"]));
        // The flow (its one step done) is complete: reading stays allowed.
        assert_eq!(read(token.clone()).await, ran["data"]);

        let later = app
            .create_flow(json!({"steps": ["background-check", redirect()], "user_id": user["id"]}))
            .await;
        let session = app.create_session(&later["id"], None).await;
        let later_token = session["token"].as_str().unwrap().to_owned();
        assert_eq!(read(later_token.clone()).await, ran["data"]);

        // Review: the read gave the user's latest check, though another flow ran one since;
        // each flow reads its own run's.
        app.advance(chrono::Duration::minutes(1));
        let again = run_check(&app, &later_token, us_check("123-45-6789")).await;
        assert_eq!(again.status, 200, "{}", again.text());
        let again = again.json();
        assert_ne!(again["data"]["completed_at"], ran["data"]["completed_at"]);
        assert_eq!(read(later_token).await, again["data"]);
        assert_eq!(read(token).await, ran["data"]);
    }

    #[tokio::test]
    async fn the_failing_ssn_flags_the_user_and_notifies_the_app() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let res = run_check(&app, &token, us_check("111-11-1111")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_whole_tin(&res);
        let body = res.json();
        assert_eq!(body["data"]["status"], "failed");
        assert_eq!(body["data"]["ssn_last4"], "1111");
        assert_eq!(body["flow"]["completed_steps"], json!(["background-check"]));

        let host = host_user(&app, &user).await;
        assert_eq!(host["has_criminal_activity"], true);
        assert_eq!(host["background_check"]["status"], "failed");

        let data = flagged_events(&app).await;
        assert_eq!(data.len(), 1, "{data:?}");
        let n = &data[0];
        assert!(n["id"].is_string() && n["created"].is_string());
        assert_eq!(n["data"], host);

        // Issue 8: it cannot be run again with another SSN, from any flow: the answer is the
        // failed check on file; the flag stays, and no second event is made.
        let flow = app
            .create_flow(json!({"steps": ["background-check"], "user_id": user["id"]}))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let again = run_check(
            &app,
            session["token"].as_str().unwrap(),
            us_check("123 45 6789"),
        )
        .await;
        assert_eq!(again.json()["data"], body["data"]);
        assert_eq!(flagged_events(&app).await.len(), 1);
        let host = host_user(&app, &user).await;
        assert_eq!(host["has_criminal_activity"], true);
        assert_eq!(host["background_check"]["status"], "failed");
    }

    #[tokio::test]
    async fn outside_the_us_is_not_eligible_and_completes_the_step() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let res = run_check(&app, &token, json!({"country": "FR", "date_of_birth": ""})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"]["status"], "not_eligible");
        assert_eq!(body["data"]["reason"], "not_us");
        assert_eq!(body["data"]["ssn_last4"], Value::Null);
        assert_eq!(body["flow"]["completed_steps"], json!(["background-check"]));
        assert_eq!(host_user(&app, &user).await["has_criminal_activity"], false);
    }

    #[tokio::test]
    async fn under_18_is_not_eligible_even_with_the_failing_ssn() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let mut body = us_check("111-11-1111");
        body["date_of_birth"] = json!(born_years_ago(17));
        let res = run_check(&app, &token, body).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["data"]["status"], "not_eligible");
        assert_eq!(body["data"]["reason"], "under_18");
        assert_eq!(body["flow"]["completed_steps"], json!(["background-check"]));
        assert_eq!(host_user(&app, &user).await["has_criminal_activity"], false);
        assert_eq!(flagged_events(&app).await, Vec::<Value>::new());
    }

    #[tokio::test]
    async fn rejects_each_bad_field_by_name() {
        let app = TestApp::new().await;
        let (_, _, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let res = run_check(&app, &token, json!({"country": "US", "date_of_birth": ""})).await;
        for field in ["ssn", "date_of_birth", "address"] {
            res.assert_invalid_field(field);
        }
        let mut body = us_check("000-12-3456");
        body["address"]["postal_code"] = json!("7870");
        let res = run_check(&app, &token, body).await;
        assert_eq!(
            res.assert_invalid_field("ssn"),
            "is not a valid SSN or ITIN"
        );
        res.assert_invalid_field("address.postal_code");
        let res = run_check(&app, &token, json!({"country": "XX", "date_of_birth": ""})).await;
        res.assert_invalid_field("country");
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM background_checks")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(stored, 0);
    }

    /// Review: a check on US details after the user had said (in an earlier check) that they
    /// live outside the US ran all the same and stored a US W-9 contradicting that answer,
    /// after which no tax details could be saved (a US W-9 and any other country refused
    /// alike). It is refused as such tax details are, and nothing is stored.
    #[tokio::test]
    async fn a_check_contradicting_an_earlier_not_eligible_answer_is_refused() {
        let app = TestApp::new().await;
        let (_, user, token) = app.signed_in_flow(json!(["background-check"]), bob()).await;
        let res = run_check(&app, &token, json!({"country": "GB", "date_of_birth": ""})).await;
        assert_eq!(res.json()["data"]["reason"], "not_us", "{}", res.text());
        let flow = app
            .create_flow(
                json!({"steps": ["background-check", "compliance"], "user_id": user["id"]}),
            )
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        run_check(&app, token, us_check("123-45-6789"))
            .await
            .assert_invalid_field("country");
        let host = host_user(&app, &user).await;
        assert_eq!(host["compliance"], Value::Null, "{host}");
        assert_eq!(host["background_check"]["reason"], "not_us", "{host}");
        let checks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM background_checks")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(checks, 1);
    }

    /// Review: a host's user made with a phone number alone (no name on file) who ran a US
    /// check got a W-9 record with an empty legal name, which counted as tax details on file:
    /// payouts past the reporting threshold went on it, and the compliance step never came.
    /// (Storing no record instead, the first fix, let the W-9 given later differ from the SSN
    /// the check ran on.) The record binds the W-9, and is not tax details on file.
    #[tokio::test]
    async fn a_check_of_a_user_with_no_name_on_file_binds_the_w9_but_is_not_one() {
        let app = TestApp::new().await;
        ok(app
            .patch(
                "/api/v2/app",
                Auth::App,
                json!({"reporting_threshold": 500}),
            )
            .await);
        let user = app
            .create_user_from(json!({"phone_number": "+14155550123"}))
            .await;
        assert_eq!(user["first_name"], "", "{user}");
        let session_of = |steps: Value| {
            let (app, user) = (&app, &user);
            async move {
                let flow = app
                    .create_flow(json!({"steps": steps, "user_id": user["id"]}))
                    .await;
                app.create_session(&flow["id"], None).await
            }
        };
        let session = session_of(json!(["background-check", "compliance"])).await;
        let token = session["token"].as_str().unwrap();
        let res = run_check(&app, token, us_check("123-45-6789")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["data"]["status"], "clear");
        // The host sees no tax details on file (the payout rules see none).
        assert_eq!(host_user(&app, &user).await["compliance"], Value::Null);

        // A payout past the threshold asks for the W-9 first.
        ok(app
            .post(
                "/api/v2/transfers",
                Auth::App,
                json!({"amount": -2_000, "user_id": user["id"]}),
            )
            .await);
        let payout = session_of(json!(["payout"])).await;
        assert_eq!(payout["flow"]["compliance_due"], true, "{payout}");

        // The W-9 keeps the SSN the check ran on.
        let mut w9 = us_check("987-65-4321");
        w9["first_name"] = json!("Ada");
        w9["last_name"] = json!("Lovelace");
        w9["tin"] = w9["ssn"].take();
        app.put("/api/flow/compliance", Auth::Bearer(token), w9.clone())
            .await
            .assert_invalid_field("tin");
        w9["tin"] = json!("123-45-6789");
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(token), w9)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let payout = session_of(json!(["payout"])).await;
        assert_eq!(payout["flow"]["compliance_due"], false, "{payout}");
        assert_eq!(
            host_user(&app, &user).await["compliance"]["first_name"],
            "Ada"
        );
    }

    /// Review: a US user could get `not_eligible` (and dodge the check) by claiming another
    /// country than their tax information's.
    #[tokio::test]
    async fn a_us_user_cannot_dodge_the_check_with_another_country() {
        let app = TestApp::new().await;
        let (_, token) = with_w9_on_file(&app).await;

        let res = run_check(&app, &token, json!({"country": "FR", "date_of_birth": ""})).await;
        assert_eq!(
            res.assert_invalid_field("country"),
            "must match the country of your tax information (US)"
        );
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM background_checks")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(stored, 0);

        // The matching country (any case) and birth date are checked, on the SSN on file.
        let body = json!({"country": "us", "date_of_birth": adult_dob()});
        let res = run_check(&app, &token, body).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["data"]["status"], "clear");
        assert_eq!(res.json()["data"]["ssn_last4"], "6789");
    }

    /// Review: a check given an address other than the tax information's was refused naming
    /// the whole `address`, which the form showed on the street line whatever differed; it
    /// names each part that differs (here the ZIP code only), and runs nothing.
    #[tokio::test]
    async fn an_address_other_than_the_tax_informations_names_the_part_that_differs() {
        let app = TestApp::new().await;
        let (_, token) = with_w9_on_file(&app).await;
        let mut body = json!({"country": "US", "date_of_birth": adult_dob()});
        body["address"] = w9()["address"].clone();
        body["address"]["postal_code"] = json!("94104");
        let res = run_check(&app, &token, body).await;
        assert_eq!(
            res.assert_invalid_field("address.postal_code"),
            "must match the address of your tax information"
        );
        assert_eq!(res.json()["fields"].as_array().unwrap().len(), 1);
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM background_checks")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(stored, 0);
    }

    /// A signed-in user of a compliance then background-check flow who gave `w9()`: the user
    /// and the session's token.
    async fn with_w9_on_file(app: &TestApp) -> (Value, String) {
        let (_, user, token) = app
            .signed_in_flow(json!(["compliance", "background-check"]), bob())
            .await;
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), w9())
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        (user, token)
    }

    /// The row's salt and digits' sha256, the digest of before.
    fn old_digest(salt: &str, digits: &str) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(format!("{salt}:{digits}"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Makes `user`'s compliance row one from before: its digest the salted sha256 of
    /// `w9()`'s tax id.
    async fn store_old_digest(app: &TestApp, user: &Value, salt: &str) {
        sqlx::query("UPDATE compliance SET tin_hash = $1 WHERE user_id = $2")
            .bind(old_digest(salt, "123456789"))
            .bind(user["id"].as_str().unwrap())
            .execute(&app.db)
            .await
            .unwrap();
    }

    /// `digest` is the keyed HMAC of `w9()`'s tax id, with nothing of the salted sha256 in it.
    #[track_caller]
    fn assert_keyed(digest: &str, salt: &str) {
        assert!(digest.starts_with("hmac:v1:"), "{digest}");
        assert!(!digest.contains(&old_digest(salt, "123456789")), "{digest}");
    }

    async fn stored_digest(app: &TestApp, user: &Value) -> (String, String) {
        sqlx::query_as("SELECT tin_salt, tin_hash FROM compliance WHERE user_id = $1")
            .bind(user["id"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap()
    }

    /// The tax id's digest is keyed with the server's secrets key: the row alone (its salt, its
    /// last four digits) does not let a copy of the database test the 100,000 SSNs it could
    /// be. A row with the digest of before has it wrapped in the key at the next start, is
    /// still compared through it, and gets the keyed one from the SSN that matches it.
    #[tokio::test]
    async fn the_tax_ids_digest_cannot_be_made_from_the_row_alone() {
        let key = payout_sandbox::SecretsKey::generate();
        let app = TestApp::with_config(|c| c.with_secrets_key(key.clone())).await;
        // What the server does as it starts, with the same key.
        let start = || async {
            let config = payout_sandbox::Config::new(support::PUBLIC_URL, "no-such-dist")
                .with_secrets_key(key.clone());
            let state = payout_sandbox::AppState::new(app.db.clone(), config);
            payout_sandbox::seal_webhook_secrets(&state).await.unwrap();
            payout_sandbox::wrap_tax_id_digests(&state).await.unwrap()
        };
        let (user, token) = with_w9_on_file(&app).await;
        let (salt, digest) = stored_digest(&app, &user).await;
        assert_keyed(&digest, &salt);

        // A row from before: its digest is the salted sha256.
        store_old_digest(&app, &user, &salt).await;
        // A start whose key nothing in the database confirms wraps nothing: a wrap under a
        // wrong key could not be undone.
        assert_eq!(start().await, None);
        assert_eq!(
            stored_digest(&app, &user).await.1,
            old_digest(&salt, "123456789")
        );
        // With a sealed webhook secret that opens with it, the next start wraps the old digest
        // in the key: the row alone tests nothing.
        let hook = app
            .post(
                "/api/v2/webhooks",
                Auth::App,
                json!({"url": "http://127.0.0.1:9/hooks"}),
            )
            .await;
        assert_eq!(hook.status, 200, "{}", hook.text());
        assert_eq!(start().await, Some(1));
        let (_, wrapped) = stored_digest(&app, &user).await;
        assert!(wrapped.starts_with("hmac:v0:"), "{wrapped}");
        assert!(
            !wrapped.contains(&old_digest(&salt, "123456789")),
            "{wrapped}"
        );
        let mut typed = us_check("123-45-6780");
        typed["date_of_birth"] = json!(adult_dob());
        typed["address"] = w9()["address"].clone();
        let res = run_check(&app, &token, typed.clone()).await;
        assert_eq!(
            res.assert_invalid_field("ssn"),
            "must match the SSN of your tax information"
        );
        typed["ssn"] = json!("123-45-6789");
        let res = run_check(&app, &token, typed).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let (salt, digest) = stored_digest(&app, &user).await;
        assert_keyed(&digest, &salt);

        // An SSN left blank is not given: the check runs on the file, nothing is compared, and
        // the old digest stays (no digest of nothing takes its place).
        let (user, token) = with_w9_on_file(&app).await;
        let (salt, _) = stored_digest(&app, &user).await;
        store_old_digest(&app, &user, &salt).await;
        assert_eq!(start().await, Some(1));
        let (_, wrapped) = stored_digest(&app, &user).await;
        let blank = json!({"country": "US", "date_of_birth": adult_dob(), "ssn": " "});
        let res = run_check(&app, &token, blank).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(stored_digest(&app, &user).await.1, wrapped);
    }

    /// Review: the same with an under-18 birth date that is not the tax information's.
    #[tokio::test]
    async fn a_us_user_cannot_dodge_the_check_with_an_under_18_birth_date() {
        let app = TestApp::new().await;
        let (_, user, token) = app
            .signed_in_flow(json!(["compliance", "background-check"]), bob())
            .await;
        let mut compliance = w9();
        compliance["tin"] = json!("111-11-1111");
        app.put("/api/flow/compliance", Auth::Bearer(&token), compliance)
            .await;
        let mut body = json!({"country": "US"});
        for date_of_birth in [born_years_ago(17), other_adult_dob()] {
            body["date_of_birth"] = json!(date_of_birth);
            let res = run_check(&app, &token, body.clone()).await;
            assert_eq!(
                res.assert_invalid_field("date_of_birth"),
                "must match the date of birth of your tax information",
                "{date_of_birth}"
            );
        }
        assert_eq!(
            host_user(&app, &user).await["background_check"],
            Value::Null
        );
        body["date_of_birth"] = json!(adult_dob());
        let res = run_check(&app, &token, body).await;
        assert_eq!(res.json()["data"]["status"], "failed");
        assert_eq!(host_user(&app, &user).await["has_criminal_activity"], true);
    }

    /// Outside the US the country must match too (and, since issue 8, every other field the
    /// check gives; W-8BEN users are not checked).
    #[tokio::test]
    async fn a_w8ben_user_must_name_their_own_country() {
        let app = TestApp::new().await;
        let (_, _, token) = app
            .signed_in_flow(json!(["compliance", "background-check"]), bob())
            .await;
        let mut w8ben = w9();
        w8ben["country"] = json!("GB");
        w8ben["tin"] = json!(null);
        w8ben["foreign_tax_id"] = json!("AB123456C");
        w8ben["address"] = json!({"line1": "10 Downing St", "city": "London",
                                  "postal_code": "SW1A 2AA"});
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), w8ben)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = run_check(&app, &token, us_check("123-45-6789")).await;
        assert_eq!(
            res.assert_invalid_field("country"),
            "must match the country of your tax information (GB)"
        );
        let res = run_check(&app, &token, json!({"country": "GB", "date_of_birth": ""})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["data"]["reason"], "not_us");
    }

    #[tokio::test]
    async fn notifications_need_the_apps_credentials() {
        let app = TestApp::new().await;
        app.get("/api/v2/notifications", Auth::None)
            .await
            .assert_error(401, "unauthorized");
    }
}

mod access {
    use super::*;

    #[tokio::test]
    async fn an_unauthenticated_session_must_sign_in_first() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(
            &app,
            json!(["compliance", "id-verification", "background-check"]),
        )
        .await;
        let auth = || Auth::Bearer(&token);
        let responses = [
            app.get("/api/flow/compliance", auth()).await,
            app.put("/api/flow/compliance", auth(), w9()).await,
            app.get("/api/flow/id-verification", auth()).await,
            upload(&app, &token, "front", "image/jpeg", jpeg()).await,
            submit(&app, &token).await,
            run_check(&app, &token, us_check("111-11-1111")).await,
        ];
        for res in responses {
            let body = res.assert_error(403, "forbidden");
            assert_eq!(body["message"], "sign in to continue");
        }
    }

    #[tokio::test]
    async fn no_token_is_unauthorized() {
        let app = TestApp::new().await;
        for res in [
            app.get("/api/flow/compliance", Auth::None).await,
            app.get("/api/flow/id-verification", Auth::None).await,
            app.post("/api/flow/background-check", Auth::None, json!({}))
                .await,
            app.post("/api/flow/auth/code", Auth::None, json!({})).await,
            app.post("/api/flow/auth/verify", Auth::None, json!({}))
                .await,
            app.post("/api/flow/auth/profile", Auth::None, json!({}))
                .await,
        ] {
            res.assert_error(401, "unauthorized");
        }
    }

    #[tokio::test]
    async fn an_expired_session_cannot_sign_in() {
        let app = TestApp::new().await;
        let (_, token) = anonymous_flow(&app, json!([redirect()])).await;
        app.advance(Duration::minutes(30));
        app.ask_code(&token, "1", "4154332334")
            .await
            .assert_error(401, "session_expired");
    }
}

/// The host's view of a flow (`GET /api/v2/flows/{id}`) is kept in memory on SQLite (issue 10,
/// throughput): each test reads the flow first, so a cache that missed an invalidation would
/// answer the old flow, then changes it through one of the paths that change what the host
/// sees, and reads it again.
mod host_flow_view {
    use super::*;

    async fn host_flow(app: &TestApp, flow: &Value) -> Value {
        let res = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    #[tokio::test]
    async fn shows_a_step_completed_by_hand_after_it_was_read() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        assert_eq!(host_flow(&app, &flow).await["completed_steps"], json!([]));
        let session = app.create_session(&flow["id"], None).await;
        let res = app
            .post_empty(
                "/api/flow/steps/redirect/complete",
                Auth::Bearer(session["token"].as_str().unwrap()),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            host_flow(&app, &flow).await["completed_steps"],
            json!(["redirect"])
        );
    }

    #[tokio::test]
    async fn shows_a_step_completed_by_its_form_after_it_was_read() {
        let app = TestApp::new().await;
        let (flow, _, token) = app
            .signed_in_flow(json!(["compliance", redirect()]), bob())
            .await;
        assert_eq!(host_flow(&app, &flow).await["completed_steps"], json!([]));
        let res = app
            .put("/api/flow/compliance", Auth::Bearer(&token), w9())
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            host_flow(&app, &flow).await["completed_steps"],
            json!(["compliance"])
        );
        let (flow, _, token) = app
            .signed_in_flow(json!(["background-check", redirect()]), bob())
            .await;
        assert_eq!(host_flow(&app, &flow).await["completed_steps"], json!([]));
        let res = run_check(&app, &token, us_check("123-45-6789")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            host_flow(&app, &flow).await["completed_steps"],
            json!(["background-check"])
        );
    }

    #[tokio::test]
    async fn shows_the_user_a_sign_in_claimed_the_flow_for_after_it_was_read() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let (flow, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(host_flow(&app, &flow).await["user_id"], Value::Null);
        assert_eq!(app.ask_code(&token, "1", "415-433-2334").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.json()["status"], "signed_in");
        assert_eq!(host_flow(&app, &flow).await["user_id"], user["id"]);
    }

    #[tokio::test]
    async fn shows_the_user_a_sign_up_claimed_the_flow_for_after_it_was_read() {
        let app = TestApp::new().await;
        let (flow, token) = anonymous_flow(&app, json!([redirect()])).await;
        assert_eq!(app.ask_code(&token, "44", "07911 123456").await.status, 200);
        let res = app.verify_code(&token, "000000").await;
        assert_eq!(res.json(), json!({"status": "profile_required"}));
        assert_eq!(host_flow(&app, &flow).await["user_id"], Value::Null);
        let res = app
            .post(
                "/api/flow/auth/profile",
                Auth::Bearer(&token),
                json!({"first_name": "Ada", "last_name": "Lovelace",
                       "email": "ada@example.com"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let user_id = res.json()["flow"]["user_id"].clone();
        assert!(user_id.is_string());
        assert_eq!(host_flow(&app, &flow).await["user_id"], user_id);
    }

    #[tokio::test]
    async fn another_apps_flow_stays_not_found_once_read_by_its_own() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        host_flow(&app, &flow).await;
        let other = app
            .post("/api/v2/apps", Auth::Org, json!({"name": "Other app"}))
            .await;
        assert_eq!(other.status, 200, "{}", other.text());
        let other = other.json();
        let res = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::Basic(
                    other["client_id"].as_str().unwrap(),
                    other["api_key"].as_str().unwrap(),
                ),
            )
            .await;
        res.assert_error(404, "not_found");
    }
}
