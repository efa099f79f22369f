//! The sandbox's HTTP behaviour as a host or the app sees it, route by route. Every test gets
//! its own in-memory database and drives the router in-process (no socket, no sleeps: the clock
//! is moved instead).
//!
//! The same suite runs on PostgreSQL with `PAYOUT_SANDBOX_TEST_POSTGRES=postgres://…/postgres`
//! (each test then creates its own database there).

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::{header, Method};
use chrono::{DateTime, Duration, Utc};
use payout_sandbox::{connect, ensure_default_app, Config};
use serde_json::{json, Value};
use support::{bob, keys, ok, temp_dir, Auth, TestApp, API_KEY, CLIENT_ID, PUBLIC_URL};

fn ts(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

mod host_auth {
    use super::*;

    #[tokio::test]
    async fn rejects_missing_credentials_without_a_basic_challenge() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/v2/flows", Auth::None, json!({"steps": ["payout"]}))
            .await;
        res.assert_error(401, "unauthorized");
        // A Basic challenge would make a browser cache the credentials (issue 8).
        assert!(!res.headers.contains_key(header::WWW_AUTHENTICATE));
        let res = app
            .get(
                "/api/v2/users/00000000-0000-0000-0000-000000000000",
                Auth::None,
            )
            .await;
        res.assert_error(401, "unauthorized");
    }

    #[tokio::test]
    async fn rejects_a_wrong_api_key_or_unknown_client() {
        let app = TestApp::new().await;
        for auth in [
            Auth::Basic(CLIENT_ID, "sk_wrong"),
            Auth::Basic("pk_nobody", API_KEY),
            Auth::Basic(CLIENT_ID, ""),
        ] {
            let res = app.post("/api/v2/users", auth, bob()).await;
            res.assert_error(401, "unauthorized");
        }
    }

    #[tokio::test]
    async fn rejects_a_bearer_token_on_the_host_api() {
        let app = TestApp::new().await;
        let res = app.get("/api/v2/flows/x", Auth::Bearer(API_KEY)).await;
        res.assert_error(401, "unauthorized");
    }

    #[tokio::test]
    async fn checks_credentials_before_the_body() {
        let app = TestApp::new().await;
        let res = app
            .post_raw("/api/v2/flows", Auth::None, "application/json", "{nope")
            .await;
        res.assert_error(401, "unauthorized");
    }
}

mod users {
    use super::*;

    #[tokio::test]
    async fn creates_a_user_in_the_seed_004_shape() {
        let app = TestApp::new().await;
        let res = app.post("/api/v2/users", Auth::App, bob()).await;
        assert_eq!(res.status, 200);
        let user = res.json();
        assert_eq!(
            keys(&user),
            [
                "background_check",
                "compliance",
                "email",
                "first_name",
                "has_criminal_activity",
                "id",
                "id_verification",
                "last_name",
                "metadata",
                "phone_number",
                "status",
                "user_id",
                "verified"
            ]
        );
        assert_eq!(user["user_id"], user["id"]);
        assert_eq!(user["first_name"], "Bob");
        assert_eq!(user["last_name"], "Loblaw");
        assert_eq!(user["email"], "bob@bobloblaw.com");
        assert_eq!(
            user["phone_number"],
            json!({"country_code": "1", "phone_number": "4154332334"})
        );
        assert_eq!(user["metadata"], json!({"internal_id": "user_121344"}));
        assert_eq!(user["status"], "unverified");
        assert_eq!(user["verified"], false);
        assert!(uuid::Uuid::try_parse(user["id"].as_str().unwrap()).is_ok());
        // What the identity steps add (issue 3), empty for a new user.
        assert_eq!(user["has_criminal_activity"], false);
        for field in ["compliance", "id_verification", "background_check"] {
            assert_eq!(user[field], Value::Null, "{field}");
        }
    }

    #[tokio::test]
    async fn normalizes_the_phone_number() {
        let app = TestApp::new().await;
        let mut body = bob();
        body["country_code"] = json!("+1");
        body["phone_number"] = json!("(415) 433-2334");
        let user = app.post("/api/v2/users", Auth::App, body).await.json();
        assert_eq!(
            user["phone_number"],
            json!({"country_code": "1", "phone_number": "4154332334"})
        );
    }

    #[tokio::test]
    async fn a_number_alone_without_a_country_calling_code_is_named_so() {
        let app = TestApp::new().await;
        // 11 digits, a length the number's own rule allows: what is wrong is its start.
        for number in ["+99912345678", "+01234567890"] {
            let res = app
                .post("/api/v2/users", Auth::App, json!({"phone_number": number}))
                .await;
            assert_eq!(
                res.assert_invalid_rule("phone_number"),
                json!({"code": "unknown_country_calling_code"}),
                "{number}"
            );
        }
        // Review: given apart, a country calling code no country has is named itself, where
        // the number was blamed ("is not a valid phone number for +999").
        let mut body = bob();
        body["country_code"] = json!("999");
        let res = app.post("/api/v2/users", Auth::App, body).await;
        assert_eq!(
            res.assert_invalid_rule("country_code"),
            json!({"code": "no_such_country_calling_code"})
        );
        let short = app
            .post(
                "/api/v2/users",
                Auth::App,
                json!({"phone_number": "+1201555"}),
            )
            .await;
        assert_eq!(
            short.assert_invalid_rule("phone_number")["code"],
            "phone_length"
        );
    }

    #[tokio::test]
    async fn accepts_a_trailing_slash() {
        let app = TestApp::new().await;
        let res = app.post("/api/v2/users/", Auth::App, bob()).await;
        assert_eq!(res.status, 200);
    }

    #[tokio::test]
    async fn gets_a_user_as_created() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let res = app
            .get(
                &format!("/api/v2/users/{}", user["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json(), user);
    }

    #[tokio::test]
    async fn unknown_or_malformed_user_id_is_not_found() {
        let app = TestApp::new().await;
        let res = app
            .get(
                "/api/v2/users/3c90c3cc-0d44-4b50-8888-8dd25736052a",
                Auth::App,
            )
            .await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "user not found");
        for path in ["/api/v2/users/not-a-uuid", "/api/v2/users/%FF%FE"] {
            app.get(path, Auth::App)
                .await
                .assert_error(404, "not_found");
        }
    }

    #[tokio::test]
    async fn user_of_another_app_is_not_found() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
            .await
            .unwrap();
        let res = app
            .get(
                &format!("/api/v2/users/{}", user["id"].as_str().unwrap()),
                Auth::Basic("pk_other", "sk_other"),
            )
            .await;
        res.assert_error(404, "not_found");
    }

    #[tokio::test]
    async fn stores_the_dots_user_ip_header() {
        let app = TestApp::new().await;
        let res = app
            .send(
                Method::POST,
                "/api/v2/users",
                Auth::App,
                &[("Dots-User-IP", "192.0.2.0")],
                Some(("application/json", bob().to_string().into_bytes())),
            )
            .await;
        assert_eq!(res.status, 200);
        let user = res.json();
        assert!(user.get("user_ip").is_none(), "the ip is never returned");
        let stored: Option<String> = sqlx::query_scalar("SELECT user_ip FROM users WHERE id = $1")
            .bind(user["id"].as_str().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(stored.as_deref(), Some("192.0.2.0"));
    }

    #[tokio::test]
    async fn rejects_a_dots_user_ip_that_is_not_an_ip() {
        let app = TestApp::new().await;
        for bad in ["not-an-ip", "192.0.2.0, 10.0.0.1", "999.1.1.1"] {
            let res = app
                .send(
                    Method::POST,
                    "/api/v2/users",
                    Auth::App,
                    &[("Dots-User-IP", bad)],
                    Some(("application/json", bob().to_string().into_bytes())),
                )
                .await;
            let message = res.assert_invalid_field("Dots-User-IP");
            assert!(message.contains("ip address"), "{message}");
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(count, 0, "a refused user is not stored");
    }

    #[tokio::test]
    async fn rejects_each_invalid_field_by_name() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/v2/users",
                Auth::App,
                json!({"first_name": " ", "last_name": "Loblaw", "email": "bob@",
                       "country_code": "1", "phone_number": "415"}),
            )
            .await;
        for field in ["first_name", "email", "phone_number"] {
            res.assert_invalid_field(field);
        }
    }

    #[tokio::test]
    async fn rejects_a_missing_field_naming_it() {
        let app = TestApp::new().await;
        let mut body = bob();
        body.as_object_mut().unwrap().remove("email");
        let res = app.post("/api/v2/users", Auth::App, body).await;
        assert_eq!(res.assert_invalid_field("email"), "is required");
    }
}

mod flows {
    use super::*;

    #[tokio::test]
    async fn creates_a_flow_in_the_seed_004_shape() {
        let app = TestApp::new().await;
        let before = Utc::now() - Duration::seconds(1);
        let flow = app.create_flow(json!({"steps": ["manage-payouts"]})).await;
        assert_eq!(
            keys(&flow),
            [
                "completed_steps",
                "created",
                "id",
                "link",
                "metadata",
                "payout_link_id",
                "steps",
                "updated",
                "user_id"
            ]
        );
        assert_eq!(flow["updated"], flow["created"]);
        let id = flow["id"].as_str().unwrap();
        assert_eq!(flow["link"], format!("{PUBLIC_URL}/flow/{id}"));
        assert_eq!(flow["steps"], json!(["manage-payouts"]));
        assert_eq!(flow["completed_steps"], json!([]));
        assert_eq!(flow["user_id"], Value::Null);
        assert_eq!(flow["metadata"], Value::Null);
        assert_eq!(flow["payout_link_id"], Value::Null);
        assert!(ts(&flow["created"]) > before);
    }

    #[tokio::test]
    async fn link_uses_the_public_url_without_its_trailing_slash() {
        let app = TestApp::with_config(|c| Config {
            public_url: "https://flows.example/".into(),
            ..c
        })
        .await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        assert_eq!(
            flow["link"],
            format!(
                "https://flows.example/flow/{}",
                flow["id"].as_str().unwrap()
            )
        );
    }

    #[tokio::test]
    async fn keeps_steps_options_user_and_metadata() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let steps = json!([
            "compliance",
            {"name": "manage-payouts", "hide_continue_button": true},
            {"name": "redirect", "redirect_url": "https://example.com/after?x=1"}
        ]);
        let flow = app
            .create_flow(json!({
                "steps": steps, "user_id": user["id"], "require_auth": true,
                "hide_go_to_dashboard_on_complete": true, "metadata": "<string>"
            }))
            .await;
        // The host reads the steps' names (seed 002's response: `enum<string>[]`), on create
        // and on get; the flow keeps their options, which its own session reads.
        let names = json!(["compliance", "manage-payouts", "redirect"]);
        assert_eq!(flow["steps"], names);
        let got = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_eq!(got.json()["steps"], names);
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["flow"]["steps"], steps);
        assert_eq!(flow["user_id"], user["id"]);
        assert_eq!(flow["metadata"], "<string>");
        let object = app
            .create_flow(json!({"steps": ["payout"], "metadata": {"order": 7}}))
            .await;
        assert_eq!(object["metadata"], json!({"order": 7}));
    }

    #[tokio::test]
    async fn metadata_too_deep_to_read_back_in_an_event_is_refused() {
        let app = TestApp::new().await;
        let nested =
            |levels: usize| (1..levels).fold(json!({"a": 1}), |inner, _| json!({ "a": inner }));
        // 126 levels parse in a request, but the event that carries them (two levels more)
        // could not be read back: every page of events holding it answered 500.
        for levels in [33, 126] {
            let res = app
                .post(
                    "/api/v2/sandbox/refills",
                    Auth::App,
                    json!({"amount": 100, "metadata": nested(levels)}),
                )
                .await;
            assert_eq!(
                res.assert_invalid_rule("metadata"),
                json!({"code": "metadata_depth", "max": 32}),
                "{levels} levels"
            );
        }
        let user = app
            .post(
                "/api/v2/users",
                Auth::App,
                json!({"phone_number": "+12015550123", "metadata": nested(33)}),
            )
            .await;
        user.assert_invalid_rule("metadata");
        let kept = ok(app
            .post(
                "/api/v2/sandbox/refills",
                Auth::App,
                json!({"amount": 100, "metadata": nested(32)}),
            )
            .await);
        assert_eq!(kept["metadata"], nested(32));
        let events = ok(app.get("/api/v2/events?limit=100", Auth::App).await);
        assert!(
            events["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["data"]["id"] == kept["id"]),
            "{events}"
        );
    }

    #[tokio::test]
    async fn accepts_a_trailing_slash_on_create_and_get() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/v2/flows/", Auth::App, json!({"steps": ["payout"]}))
            .await;
        assert_eq!(res.status, 200);
        let flow = res.json();
        let res = app
            .get(
                &format!("/api/v2/flows/{}/", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_eq!(res.json(), flow);
    }

    #[tokio::test]
    async fn gets_a_flow_as_created() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let res = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json(), flow);
    }

    #[tokio::test]
    async fn unknown_flow_is_not_found() {
        let app = TestApp::new().await;
        let res = app
            .get(
                "/api/v2/flows/3c90c3cc-0d44-4b50-8888-8dd25736052a",
                Auth::App,
            )
            .await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "flow not found");
        app.get("/api/v2/flows/nope", Auth::App)
            .await
            .assert_error(404, "not_found");
    }

    #[tokio::test]
    async fn flow_of_another_app_is_not_found() {
        let app = TestApp::new().await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
            .await
            .unwrap();
        let res = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::Basic("pk_other", "sk_other"),
            )
            .await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "flow not found");
    }

    #[tokio::test]
    async fn rejects_malformed_json_with_the_envelope() {
        let app = TestApp::new().await;
        let res = app
            .post_raw(
                "/api/v2/flows",
                Auth::App,
                "application/json",
                r#"{"steps": ["#,
            )
            .await;
        let body = res.assert_error(400, "malformed_json");
        assert!(
            body["message"].as_str().unwrap().contains("not valid json"),
            "{body}"
        );
    }

    /// Review: a body over the size limit was "not valid json", which it may well be.
    #[tokio::test]
    async fn says_a_body_is_too_large_rather_than_not_json() {
        let app = TestApp::new().await;
        let big = json!({"steps": ["payout"], "metadata": {"note": "x".repeat(3 << 20)}});
        let res = app.post("/api/v2/flows", Auth::App, big).await;
        let body = res.assert_error(400, "malformed_json");
        assert!(
            body["message"].as_str().unwrap().contains("larger than"),
            "{body}"
        );
    }

    /// Review: a NUL in the Basic user name reached a query, which PostgreSQL refuses: a 500
    /// for anyone, without a key, where a wrong credential is a 401.
    #[tokio::test]
    async fn a_control_character_in_basic_credentials_is_a_401() {
        use base64::Engine as _;
        let app = TestApp::new().await;
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("\u{0}a:b")
        );
        for path in ["/api/v2/wallet", "/api/v2/apps"] {
            app.send(
                Method::GET,
                path,
                Auth::None,
                &[("authorization", header.as_str())],
                None,
            )
            .await
            .assert_error(401, "unauthorized");
        }
    }

    #[tokio::test]
    async fn rejects_a_body_not_sent_as_json() {
        let app = TestApp::new().await;
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let res = app
                .post_raw(
                    "/api/v2/flows",
                    Auth::App,
                    content_type,
                    r#"{"steps":["payout"]}"#,
                )
                .await;
            res.assert_error(400, "malformed_json");
        }
        let res = app
            .send(Method::POST, "/api/v2/flows", Auth::App, &[], None)
            .await;
        res.assert_error(400, "malformed_json");
    }

    #[tokio::test]
    async fn rejects_a_body_that_is_not_an_object() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/v2/flows", Auth::App, json!(["payout"]))
            .await;
        res.assert_error(400, "malformed_json");
    }

    #[tokio::test]
    async fn rejects_an_unknown_step_naming_the_choices() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/v2/flows", Auth::App, json!({"steps": ["kyc"]}))
            .await;
        let message = res.assert_invalid_field("steps[0]");
        assert!(
            message.starts_with("unknown step \"kyc\"; expected one of compliance, "),
            "{message}"
        );
        assert!(message.contains("redirect"), "{message}");
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": ["payout", "kyc"]}),
            )
            .await;
        res.assert_invalid_field("steps[1]");
    }

    #[tokio::test]
    async fn rejects_empty_or_missing_steps() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/v2/flows", Auth::App, json!({"steps": []}))
            .await;
        assert_eq!(
            res.assert_invalid_field("steps"),
            "must list at least one step"
        );
        let res = app.post("/api/v2/flows", Auth::App, json!({})).await;
        res.assert_invalid_field("steps");
    }

    #[tokio::test]
    async fn rejects_a_redirect_without_a_url() {
        let app = TestApp::new().await;
        for step in [json!("redirect"), json!({"name": "redirect"})] {
            let res = app
                .post("/api/v2/flows", Auth::App, json!({"steps": [step]}))
                .await;
            assert!(res
                .assert_invalid_field("steps[0]")
                .contains("redirect_url"));
        }
    }

    #[tokio::test]
    async fn rejects_a_javascript_redirect_url() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": [{"name": "redirect", "redirect_url": "javascript:alert(1)"}]}),
            )
            .await;
        let message = res.assert_invalid_field("steps[0]");
        assert!(message.contains("http"), "{message}");
    }

    #[tokio::test]
    async fn rejects_repeated_steps() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": ["payout", "payout"]}),
            )
            .await;
        res.assert_invalid_field("steps[1]");
    }

    #[tokio::test]
    async fn rejects_a_user_id_of_no_user() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": ["payout"], "user_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}),
            )
            .await;
        assert_eq!(res.assert_invalid_field("user_id"), "no such user");
    }

    #[tokio::test]
    async fn rejects_a_user_id_of_another_apps_user() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        ensure_default_app(&app.db, Some(("pk_other", "sk_other")))
            .await
            .unwrap();
        let res = app
            .post(
                "/api/v2/flows",
                Auth::Basic("pk_other", "sk_other"),
                json!({"steps": ["payout"], "user_id": user["id"]}),
            )
            .await;
        assert_eq!(res.assert_invalid_field("user_id"), "no such user");
    }

    #[tokio::test]
    async fn rejects_a_malformed_user_id_or_flag_by_path() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": ["payout"], "user_id": "bob"}),
            )
            .await;
        res.assert_invalid_field("user_id");
        let res = app
            .post(
                "/api/v2/flows",
                Auth::App,
                json!({"steps": ["payout"], "require_auth": "yes"}),
            )
            .await;
        let message = res.assert_invalid_field("require_auth");
        assert!(message.contains("expected a boolean"), "{message}");
    }
}

mod sessions {
    use super::*;

    #[tokio::test]
    async fn preauthenticates_a_flow_with_a_user_within_15_minutes() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        app.advance(Duration::minutes(14));
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(
            keys(&session),
            [
                "authenticated",
                "expires_at",
                "flow",
                "host_origin",
                "token"
            ]
        );
        assert_eq!(session["authenticated"], true);
        assert!(session["token"].as_str().unwrap().len() >= 32);
        assert_eq!(session["host_origin"], Value::Null);
        assert_eq!(
            session["flow"],
            json!({
                "id": flow["id"], "completed_steps": [],
                // The flow's own session reads each step whole (the host reads names).
                "steps": [{"name": "redirect", "redirect_url": "https://host.example/done"}],
                "user_id": flow["user_id"], "hide_go_to_dashboard_on_complete": false,
                "require_auth": false, "payout_fee_party": "platform",
                "compliance_due": false
            })
        );
        let ttl = ts(&session["expires_at"]) - (Utc::now() + Duration::minutes(14));
        assert!(
            (Duration::minutes(29)..=Duration::minutes(30)).contains(&ttl),
            "{ttl}"
        );
    }

    /// Review: seed 004 documents `payout_fee_party` (its payout flow) and
    /// `hide_continue_button` (its manage-payments flow) as query parameters;
    /// `POST /api/v2/flows?payout_fee_party=user` answered 200 and ignored it, so the app's
    /// wallet paid the fees the host had put on the user. Each is taken as the body's option;
    /// a bad value, a disagreement with the body, or any other parameter is a 422.
    #[tokio::test]
    async fn a_flows_options_in_the_query_are_taken_as_in_the_body() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let body = json!({"steps": ["manage-payments", "payout"], "user_id": user["id"]});
        let res = app
            .post(
                "/api/v2/flows?payout_fee_party=user&hide_continue_button=true",
                Auth::App,
                body.clone(),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let session = app.create_session(&res.json()["id"], None).await;
        assert_eq!(session["flow"]["payout_fee_party"], "user");
        assert_eq!(
            session["flow"]["steps"],
            json!([{"name": "manage-payments", "hide_continue_button": true}, "payout"])
        );

        for (query, field) in [
            ("payout_fee_party=everyone", "payout_fee_party"),
            ("hide_continue_button=yes", "hide_continue_button"),
            ("payout_fee_parti=user", "query"),
        ] {
            app.post(&format!("/api/v2/flows?{query}"), Auth::App, body.clone())
                .await
                .assert_invalid_field(field);
        }
        let mut platform = body.clone();
        platform["payout_fee_party"] = json!("platform");
        app.post("/api/v2/flows?payout_fee_party=user", Auth::App, platform)
            .await
            .assert_invalid_field("payout_fee_party");
        // Review: `hide_continue_button=false` beside a manage step the body hides it on was
        // taken as nothing and the button stayed hidden; the two disagree, as for the fee party.
        let hidden = json!({"steps": [{"name": "manage-payouts", "hide_continue_button": true}],
                            "user_id": user["id"]});
        app.post(
            "/api/v2/flows?hide_continue_button=false",
            Auth::App,
            hidden,
        )
        .await
        .assert_invalid_field("hide_continue_button");
        // Agreeing with the body, either way, is taken.
        for (query, hide) in [("true", true), ("false", false)] {
            let steps = json!([{"name": "manage-payouts", "hide_continue_button": hide}]);
            let res = app
                .post(
                    &format!("/api/v2/flows?hide_continue_button={query}"),
                    Auth::App,
                    json!({"steps": steps, "user_id": user["id"]}),
                )
                .await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
    }

    #[tokio::test]
    async fn asks_for_sign_in_after_the_preauth_window() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        app.advance(Duration::minutes(15));
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], false);
    }

    #[tokio::test]
    async fn require_auth_flow_is_not_preauthenticated() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let flow = app
            .create_flow(json!({"steps": ["payout"], "user_id": user["id"], "require_auth": true}))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], false);
        assert_eq!(session["flow"]["require_auth"], true);
    }

    #[tokio::test]
    async fn flow_without_a_user_is_not_preauthenticated() {
        let app = TestApp::new().await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        let session = app.create_session(&flow["id"], None).await;
        assert_eq!(session["authenticated"], false);
        assert_eq!(session["flow"]["user_id"], Value::Null);
    }

    #[tokio::test]
    async fn echoes_loopback_host_origins() {
        // Loopback hosts may embed a server that is itself on loopback (issue 8).
        let app = TestApp::with_config(|c| Config {
            public_url: "http://127.0.0.1:8080".into(),
            ..c
        })
        .await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        for (given, echoed) in [
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
            ("http://[::1]:9000", "http://[::1]:9000"),
            ("http://localhost", "http://localhost"),
        ] {
            let session = app.create_session(&flow["id"], Some(given)).await;
            assert_eq!(session["host_origin"], echoed, "{given}");
        }
    }

    #[tokio::test]
    async fn echoes_a_configured_extra_origin() {
        let app = TestApp::with_config(|c| c.with_allowed_origins(["https://host.example"])).await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        let session = app
            .create_session(&flow["id"], Some("https://host.example"))
            .await;
        assert_eq!(session["host_origin"], "https://host.example");
    }

    #[tokio::test]
    async fn refuses_an_unlisted_host_origin() {
        let app = TestApp::with_config(|c| c.with_allowed_origins(["https://host.example"])).await;
        let flow = app.create_flow(json!({"steps": ["payout"]})).await;
        for origin in [
            "https://evil.example",
            "https://host.example.evil.example",
            "http://host.example",
            "http://localhost.evil.example",
            "https://host.example/path",
            "null",
        ] {
            let session = app.create_session(&flow["id"], Some(origin)).await;
            assert_eq!(session["host_origin"], Value::Null, "{origin}");
        }
    }

    #[tokio::test]
    async fn unknown_flow_is_not_found() {
        let app = TestApp::new().await;
        let res = app
            .post(
                "/api/flow/sessions",
                Auth::None,
                json!({"flow_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}),
            )
            .await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "flow not found");
    }

    #[tokio::test]
    async fn rejects_a_malformed_flow_id() {
        let app = TestApp::new().await;
        let res = app
            .post("/api/flow/sessions", Auth::None, json!({"flow_id": "nope"}))
            .await;
        res.assert_invalid_field("flow_id");
    }

    #[tokio::test]
    async fn stores_only_a_hash_of_the_token() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT token_hash || flow_id || COALESCE(user_id, '') || COALESCE(host_origin, '') \
             FROM flow_sessions",
        )
        .fetch_all(&app.db)
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].contains(token));
    }
}

mod flow_state {
    use super::*;

    #[tokio::test]
    async fn returns_the_flow_state_for_a_live_token() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let res = app
            .get(
                "/api/flow/state",
                Auth::Bearer(session["token"].as_str().unwrap()),
            )
            .await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json(), session["flow"]);
    }

    #[tokio::test]
    async fn rejects_a_missing_or_unknown_token() {
        let app = TestApp::new().await;
        let res = app.get("/api/flow/state", Auth::None).await;
        res.assert_error(401, "unauthorized");
        assert!(!res.headers.contains_key(header::WWW_AUTHENTICATE));
        let res = app
            .get("/api/flow/state", Auth::Bearer("not-a-token"))
            .await;
        res.assert_error(401, "unauthorized");
        let res = app.get("/api/flow/state", Auth::App).await;
        res.assert_error(401, "unauthorized");
    }

    #[tokio::test]
    async fn expired_token_is_session_expired() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        // A session in use stays alive: each request gives it 30 minutes more.
        for _ in 0..3 {
            app.advance(Duration::minutes(29));
            assert_eq!(
                app.get("/api/flow/state", Auth::Bearer(token)).await.status,
                200
            );
        }
        // An idle one ends 30 minutes after its last request.
        app.advance(Duration::minutes(30));
        let res = app.get("/api/flow/state", Auth::Bearer(token)).await;
        let body = res.assert_error(401, "session_expired");
        assert_eq!(
            body["message"],
            "your session has expired; open the flow link again"
        );
        let res = app
            .post_raw(
                "/api/flow/steps/redirect/complete",
                Auth::Bearer(token),
                "application/json",
                "",
            )
            .await;
        res.assert_error(401, "session_expired");
    }

    /// However busy, a session ends 8 hours after it was minted: a token that leaks still ends.
    #[tokio::test]
    async fn a_busy_session_still_ends_after_eight_hours() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        for _ in 0..(8 * 60 / 20) - 1 {
            app.advance(Duration::minutes(20));
            let res = app.get("/api/flow/state", Auth::Bearer(token)).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        app.advance(Duration::minutes(19));
        let res = app.get("/api/flow/state", Auth::Bearer(token)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        app.advance(Duration::minutes(1));
        app.get("/api/flow/state", Auth::Bearer(token))
            .await
            .assert_error(401, "session_expired");
    }

    /// A complete flow's sessions end 5 minutes after it completed, used or not (issue 8: the
    /// link's capability is gone); keeping a busy session alive does not bring it back.
    #[tokio::test]
    async fn a_complete_flows_session_is_not_kept_alive() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        let res = app
            .post_raw(
                "/api/flow/steps/redirect/complete",
                Auth::Bearer(token),
                "application/json",
                "",
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        for _ in 0..2 {
            app.advance(Duration::minutes(2));
            let res = app.get("/api/flow/state", Auth::Bearer(token)).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        app.advance(Duration::minutes(1));
        app.get("/api/flow/state", Auth::Bearer(token))
            .await
            .assert_error(401, "session_expired");
        // A session minted after completion is as short.
        let late = app.create_session(&flow["id"], None).await;
        let late = late["token"].as_str().unwrap();
        app.advance(Duration::minutes(4));
        assert_eq!(
            app.get("/api/flow/state", Auth::Bearer(late)).await.status,
            200
        );
        app.advance(Duration::minutes(1));
        app.get("/api/flow/state", Auth::Bearer(late))
            .await
            .assert_error(401, "session_expired");
    }
}

mod complete_step {
    use super::*;

    async fn complete(app: &TestApp, token: &str, step: &str) -> support::TestResponse {
        app.send(
            Method::POST,
            &format!("/api/flow/steps/{step}/complete"),
            Auth::Bearer(token),
            &[],
            None,
        )
        .await
    }

    #[tokio::test]
    async fn completing_redirect_shows_on_the_host_api() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "redirect").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["completed_steps"], json!(["redirect"]));
        let host_view = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_view["completed_steps"], json!(["redirect"]));
    }

    #[tokio::test]
    async fn completing_twice_is_idempotent() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap();
        let first = complete(&app, token, "redirect").await.json();
        let second = complete(&app, token, "redirect").await;
        assert_eq!(second.status, 200);
        assert_eq!(second.json(), first);
        assert_eq!(first["completed_steps"], json!(["redirect"]));
    }

    /// Eight completions at once, each on its own connection of a file database (or
    /// PostgreSQL), on four threads: every one answers 200 and the step is recorded once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_completions_record_the_step_once() {
        let app = std::sync::Arc::new(TestApp::with_file_db().await);
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (app, token) = (app.clone(), token.clone());
                tokio::spawn(async move { complete(&app, &token, "redirect").await })
            })
            .collect();
        for task in tasks {
            let res = task.await.unwrap();
            assert_eq!(res.status, 200, "{}", res.text());
            assert_eq!(res.json()["completed_steps"], json!(["redirect"]));
        }
        let host_view = app
            .get(
                &format!("/api/v2/flows/{}", flow["id"].as_str().unwrap()),
                Auth::App,
            )
            .await
            .json();
        assert_eq!(host_view["completed_steps"], json!(["redirect"]));
    }

    #[tokio::test]
    async fn unauthenticated_session_must_sign_in_first() {
        let app = TestApp::new().await;
        let flow = app
            .create_flow(
                json!({"steps": [{"name": "redirect", "redirect_url": "https://x.example"}]}),
            )
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "redirect").await;
        let body = res.assert_error(403, "forbidden");
        assert_eq!(body["message"], "sign in to continue");
    }

    #[tokio::test]
    async fn rejects_an_unknown_step_name() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "kyc").await;
        let message = res.assert_invalid_field("step");
        assert!(message.contains("expected one of"), "{message}");
    }

    #[tokio::test]
    async fn refuses_a_step_not_in_the_flow() {
        let app = TestApp::new().await;
        let flow = app.create_redirect_flow().await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "payout").await;
        res.assert_error(409, "conflict");
    }

    #[tokio::test]
    async fn refuses_steps_that_have_their_own_form() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let flow = app
            .create_flow(json!({"steps": ["compliance"], "user_id": user["id"]}))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "compliance").await;
        let body = res.assert_error(409, "conflict");
        assert_eq!(
            body["message"],
            "\"compliance\" is completed by its own form"
        );
    }

    #[tokio::test]
    async fn refuses_a_step_that_is_not_current() {
        let app = TestApp::new().await;
        let user = app.create_user().await;
        let flow = app
            .create_flow(json!({
                "steps": ["compliance", {"name": "redirect", "redirect_url": "https://x.example"}],
                "user_id": user["id"]
            }))
            .await;
        let session = app.create_session(&flow["id"], None).await;
        let res = complete(&app, session["token"].as_str().unwrap(), "redirect").await;
        let body = res.assert_error(409, "conflict");
        assert!(
            body["message"].as_str().unwrap().contains("compliance"),
            "{body}"
        );
        let state = app
            .get(
                "/api/flow/state",
                Auth::Bearer(session["token"].as_str().unwrap()),
            )
            .await
            .json();
        assert_eq!(state["completed_steps"], json!([]));
    }

    #[tokio::test]
    async fn requires_a_token() {
        let app = TestApp::new().await;
        let res = app
            .send(
                Method::POST,
                "/api/flow/steps/redirect/complete",
                Auth::None,
                &[],
                None,
            )
            .await;
        res.assert_error(401, "unauthorized");
    }
}

mod routing {
    use super::*;

    #[tokio::test]
    async fn unknown_api_route_is_a_json_404() {
        let app = TestApp::new().await;
        for path in ["/api/v2/payouts", "/api", "/api/flow/nothing"] {
            app.get(path, Auth::App)
                .await
                .assert_error(404, "not_found");
        }
    }

    #[tokio::test]
    async fn unsupported_method_on_an_api_route_is_a_json_404() {
        let app = TestApp::new().await;
        let res = app.get("/api/v2/flows", Auth::App).await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "no such endpoint: GET /api/v2/flows");
        let res = app
            .send(Method::DELETE, "/api/flow/state", Auth::None, &[], None)
            .await;
        res.assert_error(404, "not_found");
        // Review: seed 000's path for making a flow is an API path outside `/api`; a wrong
        // method or a path under it answered a bare 405 or plain text, not the envelope.
        let res = app.get("/v2/flow/create", Auth::App).await;
        let body = res.assert_error(404, "not_found");
        assert_eq!(body["message"], "no such endpoint: GET /v2/flow/create");
        app.post("/v2/flow/create/x", Auth::App, json!({}))
            .await
            .assert_error(404, "not_found");
    }

    #[tokio::test]
    async fn healthz_is_ok() {
        let app = TestApp::new().await;
        let res = app.get("/healthz", Auth::None).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.text(), "ok");
    }
}

mod pages {
    use super::*;

    fn built_assets() -> std::path::PathBuf {
        let dir = temp_dir();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>payout-flows</title><script src=\"/app/app.js\"></script>",
        )
        .unwrap();
        std::fs::write(dir.join("payout-flows_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(dir.join("embed.js"), "window.PayoutFlows = {};").unwrap();
        dir
    }

    #[tokio::test]
    async fn flow_page_serves_the_apps_index_uncached() {
        let assets = built_assets();
        let app = TestApp::with_config(|c| Config {
            assets_dir: assets.clone(),
            ..c
        })
        .await;
        for path in [
            "/flow/3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "/flow/anything",
        ] {
            let res = app.get(path, Auth::None).await;
            assert_eq!(res.status, 200);
            assert_eq!(res.header(header::CACHE_CONTROL), "no-store");
            assert!(res.header(header::CONTENT_TYPE).starts_with("text/html"));
            assert!(res.text().contains("<title>payout-flows</title>"));
        }
        support::remove_temp_dir(assets);
    }

    /// Only allowed origins may frame a flow: a site off the allow-list cannot embed it at all.
    #[tokio::test]
    async fn flow_page_may_be_framed_only_by_allowed_origins() {
        let assets = built_assets();
        let app = TestApp::with_config(|c| {
            Config {
                assets_dir: assets.clone(),
                ..c
            }
            .with_allowed_origins(["https://host.example"])
        })
        .await;
        sqlx::query("UPDATE apps SET allowed_origins = $1")
            .bind(r#"["https://shop.example"]"#)
            .execute(&app.db)
            .await
            .unwrap();
        let flow = app.create_redirect_flow().await;
        let res = app
            .get(
                &format!("/flow/{}", flow["id"].as_str().unwrap()),
                Auth::None,
            )
            .await;
        assert_eq!(res.status, 200);
        assert!(
            res.header(header::CONTENT_SECURITY_POLICY)
                .ends_with("; frame-ancestors 'self' https://host.example https://shop.example"),
            "{}",
            res.header(header::CONTENT_SECURITY_POLICY)
        );
        // An unknown flow's page is frameable by the server's extra origins only.
        let res = app.get("/flow/not-a-flow", Auth::None).await;
        assert!(res
            .header(header::CONTENT_SECURITY_POLICY)
            .ends_with("; frame-ancestors 'self' https://host.example"));
        support::remove_temp_dir(assets);
    }

    #[tokio::test]
    async fn app_assets_are_served_with_their_content_types() {
        let assets = built_assets();
        let app = TestApp::with_config(|c| Config {
            assets_dir: assets.clone(),
            ..c
        })
        .await;
        let res = app.get("/app/payout-flows_bg.wasm", Auth::None).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header(header::CONTENT_TYPE), "application/wasm");
        let res = app.get("/app/embed.js", Auth::None).await;
        assert_eq!(res.status, 200);
        assert!(res.header(header::CONTENT_TYPE).contains("javascript"));
        assert_eq!(app.get("/app/missing.js", Auth::None).await.status, 404);
        support::remove_temp_dir(assets);
    }

    #[tokio::test]
    async fn flow_page_is_503_until_the_app_is_built() {
        let app = TestApp::new().await;
        let res = app
            .get("/flow/3c90c3cc-0d44-4b50-8888-8dd25736052a", Auth::None)
            .await;
        assert_eq!(res.status, 503);
        assert!(res.text().contains("not built"), "{}", res.text());
        assert!(res.text().contains("scripts/run.sh"), "{}", res.text());
    }

    #[tokio::test]
    async fn demo_page_embeds_flows_from_the_public_url() {
        let app = TestApp::new().await;
        let res = app.get("/demo?link=x", Auth::None).await;
        assert_eq!(res.status, 200);
        assert!(res.header(header::CONTENT_TYPE).starts_with("text/html"));
        let html = res.text();
        assert!(html.contains(&format!("data-flow-base=\"{PUBLIC_URL}\"")));
        assert!(html.contains(r#"<ol id="messages" aria-live="polite""#));
        assert!(html.contains("/app/embed.js"));
        assert!(html.contains("PayoutFlows.embed"));
    }

    #[tokio::test]
    async fn home_page_links_to_the_demo() {
        let app = TestApp::new().await;
        let res = app.get("/", Auth::None).await;
        assert_eq!(res.status, 200);
        assert!(res.text().contains("href=\"/demo\""));
    }
}

/// The app's files served for load speed (issue 12): compressed as the browser accepts, cached
/// for a year when their names carry their hash, never a stale compressed copy.
mod assets {
    use super::*;
    use payout_sandbox::precompress_assets;
    use std::io::Read as _;
    use std::path::{Path, PathBuf};

    const WASM: &str = "/app/payout-flows-3943a6dc2e20c43a_bg.wasm";
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";

    /// A build: the page, a hashed wasm file (compressible, as real wasm is) and embed.js.
    fn build() -> (PathBuf, Vec<u8>) {
        let dir = temp_dir();
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>payout-flows</title>",
        )
        .unwrap();
        let wasm: Vec<u8> = (0..40_000u32).map(|i| (i % 251 / 7) as u8).collect();
        std::fs::write(dir.join(&WASM[5..]), &wasm).unwrap();
        std::fs::write(dir.join("embed.js"), "window.PayoutFlows = {};".repeat(50)).unwrap();
        (dir, wasm)
    }

    async fn serving(dir: &Path) -> TestApp {
        TestApp::with_config(|c| Config {
            assets_dir: dir.to_owned(),
            ..c
        })
        .await
    }

    async fn get(
        app: &TestApp,
        path: &str,
        accept_encoding: Option<&str>,
    ) -> support::TestResponse {
        let headers: Vec<(&str, &str)> = accept_encoding
            .map(|e| ("accept-encoding", e))
            .into_iter()
            .collect();
        app.send(Method::GET, path, Auth::None, &headers, None)
            .await
    }

    fn unbrotli(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn ungzip(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[tokio::test]
    async fn files_come_compressed_as_the_browser_accepts() {
        let (dir, wasm) = build();
        assert_eq!(precompress_assets(&dir).await.unwrap(), 3);
        let app = serving(&dir).await;

        for accept in ["br", "gzip, deflate, br, zstd"] {
            let res = get(&app, WASM, Some(accept)).await;
            assert_eq!(res.status, 200);
            assert_eq!(res.header(header::CONTENT_ENCODING), "br", "{accept}");
            assert_eq!(res.header(header::CONTENT_TYPE), "application/wasm");
            assert!(res.body.len() < wasm.len() / 4, "{} bytes", res.body.len());
            assert_eq!(unbrotli(&res.body), wasm);
        }
        let res = get(&app, WASM, Some("gzip")).await;
        assert_eq!(res.header(header::CONTENT_ENCODING), "gzip");
        assert_eq!(res.header(header::CONTENT_TYPE), "application/wasm");
        assert_eq!(ungzip(&res.body), wasm);

        for accept in [None, Some("identity")] {
            let res = get(&app, WASM, accept).await;
            assert_eq!(res.status, 200);
            assert!(
                res.headers.get(header::CONTENT_ENCODING).is_none(),
                "{accept:?}"
            );
            assert_eq!(res.body, wasm);
        }
        for accept in [None, Some("br")] {
            let res = get(&app, WASM, accept).await;
            assert_eq!(res.header(header::VARY), "accept-encoding");
        }
        support::remove_temp_dir(dir);
    }

    /// The flow page, built per flow, is compressed per request as the browser accepts: the
    /// page whole, in fewer bytes.
    #[tokio::test]
    async fn the_flow_page_comes_compressed_as_the_browser_accepts() {
        let (dir, _) = build();
        let page = format!(
            "<!doctype html><title>payout-flows</title><p>{}</p>",
            "Sign in. ".repeat(400)
        );
        std::fs::write(dir.join("index.html"), &page).unwrap();
        let app = serving(&dir).await;
        let path = "/flow/3c90c3cc-0d44-4b50-8888-8dd25736052a";

        for accept in ["br", "gzip, deflate, br, zstd", "gzip;q=0.5, BR;Q=0.8"] {
            let res = get(&app, path, Some(accept)).await;
            assert_eq!(res.status, 200);
            assert_eq!(res.header(header::CONTENT_ENCODING), "br", "{accept}");
            assert!(res.body.len() * 4 < page.len(), "{} bytes", res.body.len());
            assert_eq!(unbrotli(&res.body), page.as_bytes());
        }
        for accept in ["gzip", "br;q=0, gzip", "gzip;q=1, br;q=0.5", "br;Q=0, gzip"] {
            let res = get(&app, path, Some(accept)).await;
            assert_eq!(res.header(header::CONTENT_ENCODING), "gzip", "{accept}");
            assert_eq!(ungzip(&res.body), page.as_bytes());
        }
        for accept in [None, Some("identity"), Some("br;q=0"), Some("gzip;Q=0")] {
            let res = get(&app, path, accept).await;
            assert!(
                res.headers.get(header::CONTENT_ENCODING).is_none(),
                "{accept:?}"
            );
            assert_eq!(res.text(), page);
            assert_eq!(res.header(header::VARY), "accept-encoding");
            assert_eq!(res.header(header::CACHE_CONTROL), "no-store");
        }
        support::remove_temp_dir(dir);
    }

    #[tokio::test]
    async fn a_rebuilt_file_is_never_served_from_its_old_compressed_copy() {
        let (dir, _) = build();
        precompress_assets(&dir).await.unwrap();
        let app = serving(&dir).await;
        let embed = dir.join("embed.js");
        let new = b"window.PayoutFlows = { version: 2 };".repeat(40);
        std::fs::write(&embed, &new).unwrap();
        // A rebuild writes later than the copies were made (set here: a file system's clock
        // may not tick between two writes).
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&embed)
            .unwrap()
            .set_modified(later)
            .unwrap();

        let res = get(&app, "/app/embed.js", Some("br, gzip")).await;
        assert!(res.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(res.body, new);

        // That request also had it compressed again in the background; the start's pass may
        // meet it there (so no count is asserted): either way the new copies are served.
        precompress_assets(&dir).await.unwrap();
        let res = get(&app, "/app/embed.js", Some("br, gzip")).await;
        assert_eq!(res.header(header::CONTENT_ENCODING), "br");
        assert_eq!(unbrotli(&res.body), new);
        support::remove_temp_dir(dir);
    }

    /// The host SDK as the repository has it (`public/`, which trunk copies into the build).
    fn sdk_file(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../public")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[tokio::test]
    async fn the_sdk_is_served_with_its_typescript_declarations() {
        let (dir, _) = build();
        std::fs::write(dir.join("embed.d.ts"), sdk_file("embed.d.ts")).unwrap();
        let app = serving(&dir).await;
        let res = get(&app, "/app/embed.d.ts", None).await;
        assert_eq!(res.status, 200);
        assert_eq!(
            res.header(header::CONTENT_TYPE),
            "application/typescript; charset=utf-8"
        );
        assert_eq!(res.header(header::CACHE_CONTROL), "no-cache");
        let types = res.text();
        for declared in [
            "embed(options: EmbedOptions)",
            "setLocale(locale: string)",
            "onLoadError?(error: LoadError)",
            "\"flow_not_found\" | \"origin_not_allowed\" | \"unavailable\" | \"network_error\"",
            "appearance?: Appearance;",
            "loadTimeout?: number;",
            "locale?: string;",
        ] {
            assert!(types.contains(declared), "{declared} not declared");
        }
        support::remove_temp_dir(dir);
    }

    #[test]
    fn the_sdk_stays_under_3_kb_gzipped() {
        let embed = sdk_file("embed.js");
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gzip, &embed).unwrap();
        let size = gzip.finish().unwrap().len();
        assert!(size < 3 * 1024, "embed.js is {size} bytes gzipped");
        // And depends on nothing: no import, no require, no other script loaded.
        let text = String::from_utf8(embed).unwrap();
        for dependency in ["import ", "import(", "require(", "importScripts("] {
            assert!(!text.contains(dependency), "{dependency}");
        }
        // No script element made, however the call is spaced or quoted.
        let squeezed: String = text.split_whitespace().collect();
        for quote in ['"', '\'', '`'] {
            let script = format!("createElement({quote}script{quote})");
            assert!(!squeezed.contains(&script), "{script}");
        }
    }

    #[tokio::test]
    async fn hashed_files_are_immutable_and_the_rest_revalidated() {
        let (dir, _) = build();
        let app = serving(&dir).await;
        for accept in [None, Some("br")] {
            let res = get(&app, WASM, accept).await;
            assert_eq!(res.header(header::CACHE_CONTROL), IMMUTABLE);
        }
        let res = get(&app, "/app/embed.js", Some("br")).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header(header::CACHE_CONTROL), "no-cache");
        assert!(res.headers.get(header::LAST_MODIFIED).is_some());
        // The page, under every name, is never stored: a new build shows at once.
        for page in [
            "/flow/3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "/app/index.html",
        ] {
            let res = get(&app, page, Some("br")).await;
            assert_eq!(res.status, 200, "{page}");
            assert_eq!(res.header(header::CACHE_CONTROL), "no-store", "{page}");
        }
        // A missing file is no year-long answer.
        let res = get(&app, "/app/payout-flows-0000000011111111_bg.wasm", None).await;
        assert_eq!(res.status, 404);
        assert!(res.headers.get(header::CACHE_CONTROL).is_none());
        support::remove_temp_dir(dir);
    }
}

mod credentials {
    use super::*;

    #[tokio::test]
    async fn generated_credentials_work_and_look_like_sandbox_keys() {
        let db = support::fresh_db().await;
        let created = ensure_default_app(&db, None).await.unwrap();
        assert!(created.created);
        assert!(created.client_id.starts_with("pk_sandbox_"));
        let key = created.api_key.clone().unwrap();
        assert!(key.starts_with("sk_sandbox_") && key.len() > 30);
        let app = TestApp::over(db, Config::new(PUBLIC_URL, "dist"));
        let res = app
            .post(
                "/api/v2/users",
                Auth::Basic(&created.client_id, &key),
                bob(),
            )
            .await;
        assert_eq!(res.status, 200);
    }

    #[tokio::test]
    async fn given_credentials_replace_a_different_key() {
        let app = TestApp::new().await;
        let again = ensure_default_app(&app.db, Some((CLIENT_ID, "sk_new")))
            .await
            .unwrap();
        assert!(!again.created);
        let old = app.post("/api/v2/users", Auth::App, bob()).await;
        old.assert_error(401, "unauthorized");
        let new = app
            .post("/api/v2/users", Auth::Basic(CLIENT_ID, "sk_new"), bob())
            .await;
        assert_eq!(new.status, 200);
        let apps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM apps")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(apps, 1);
    }

    /// Keys are kept as salted sha256 digests only (issue 10): no column holds the key.
    #[tokio::test]
    async fn api_key_is_stored_hashed() {
        let app = TestApp::new().await;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT a.id || a.name || a.client_id || a.allowed_origins || k.key_salt || k.key_hash \
             FROM apps a JOIN app_keys k ON k.app_id = a.id",
        )
        .fetch_all(&app.db)
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].contains(API_KEY));
        let (salt, hash): (String, String) =
            sqlx::query_as("SELECT key_salt, key_hash FROM app_keys")
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(hash.len(), 64);
        assert_eq!(salt.len(), 24);
    }

    #[tokio::test]
    async fn restart_with_the_same_database_keeps_the_app_and_never_writes_the_key() {
        let dir = temp_dir();
        let url = format!("sqlite://{}", dir.join("sandbox.sqlite").display());
        let db = connect(&url).await.unwrap();
        let first = ensure_default_app(&db, None).await.unwrap();
        let key = first.api_key.clone().unwrap();
        db.close().await;

        let db = connect(&url).await.unwrap();
        let second = ensure_default_app(&db, None).await.unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(second.client_id, first.client_id);
        assert_eq!(second.api_key, None, "the key is not recoverable");
        assert!(!second.created);
        let app = TestApp::over(db.clone(), Config::new(PUBLIC_URL, "dist"));
        let res = app
            .post("/api/v2/users", Auth::Basic(&first.client_id, &key), bob())
            .await;
        assert_eq!(res.status, 200);
        db.close().await;

        // SQLite removes its write-ahead log when the last connection closes, which may still
        // be happening: read the log (if still there) before the main file, where a removed
        // log's pages were checkpointed first, so every page written is read once.
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort_by_key(|path| path.extension().is_some_and(|e| e == "sqlite"));
        for path in files {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", path.display()),
            };
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "the clear key is in the database files"
            );
        }
        support::remove_temp_dir(dir);
    }
}
