//! End-to-end: who may use the management API of a real server. Anonymous callers and wrong
//! credentials get 401 whatever they ask for, a role too small gets 403, tokens and users
//! (from the configuration or added with `baton user`) get in, failed logins are limited per
//! client address and per user (429), and a first start without accounts creates an admin
//! whose password is printed once.

mod common;

use std::net::IpAddr;

use baton::auth::{hash_password, Presented};
use common::{failed, succeeded, Dirs, Server, ADMIN_TOKEN};

/// A failure list of an instance that does not exist: 404 once let in.
const MISSING: &str = "/api/v1/instances/999999/failures";
/// Settling a failure of that instance: needs the role operator, then 404.
const SETTLE: &str = "/api/v1/instances/999999/failures/1.1/retry";

/// What the server answered: status, Retry-After or WWW-Authenticate, body.
struct Answer {
    status: u16,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: String,
}

/// A request to the server with `credentials` from the local address `from`.
async fn call(
    server: &Server,
    post: bool,
    path: &str,
    credentials: Option<&Presented>,
    from: &str,
) -> Answer {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let url = format!("{}{path}", server.address);
    let request = if post {
        client.post(url)
    } else {
        client.get(url)
    };
    answer(request, credentials).await
}

/// Sends `request` presenting `credentials`, and reads the answer.
async fn answer(mut request: reqwest::RequestBuilder, credentials: Option<&Presented>) -> Answer {
    if let Some(credentials) = credentials {
        request = request.header("Authorization", credentials.header());
    }
    let response = request.send().await.expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    Answer {
        status: response.status().as_u16(),
        challenge,
        retry_after,
        body: response.text().await.unwrap(),
    }
}

async fn get(server: &Server, path: &str, credentials: Option<&Presented>) -> Answer {
    call(server, false, path, credentials, "127.0.0.1").await
}

fn basic(user: &str, password: &str) -> Presented {
    Presented::Basic {
        user: user.into(),
        password: password.into(),
    }
}

fn bearer(token: &str) -> Presented {
    Presented::Bearer(token.into())
}

/// The `BATON_AUTH__USERS` value for `(name, role, password)` users.
fn users_setting(users: &[(&str, &str, &str)]) -> String {
    let entries: Vec<String> = users
        .iter()
        .map(|(name, role, password)| {
            format!(
                r#"{{ name = "{name}", role = "{role}", password-hash = "{}" }}"#,
                hash_password(password).unwrap()
            )
        })
        .collect();
    format!("[{}]", entries.join(", "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_and_wrong_credentials_get_401_and_small_roles_403() {
    let dirs = Dirs::new();
    let users = users_setting(&[("vera", "viewer", "v-pass"), ("otto", "operator", "o-pass")]);
    let server =
        Server::start_configured(&dirs, "info", true, &[("BATON_AUTH__USERS", &users)]).await;
    // Anonymous: the same 401 for an instance that exists, one that does not, a path that
    // means nothing, and a settlement.
    let anonymous = [
        get(&server, "/api/v1/instances/1/failures", None).await,
        get(&server, MISSING, None).await,
        get(&server, "/api/v1/nothing", None).await,
        call(&server, true, SETTLE, None, "127.0.0.1").await,
    ];
    for answer in &anonymous {
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert_eq!(answer.body, anonymous[0].body);
        let challenge = answer.challenge.as_deref().unwrap_or_default();
        assert!(
            challenge.contains("Basic") && challenge.contains("Bearer"),
            "{challenge}"
        );
    }
    assert!(
        anonymous[0].body.contains("authentication required"),
        "{}",
        anonymous[0].body
    );
    for wrong in [
        basic("vera", "o-pass"),
        basic("nobody", "v-pass"),
        bearer("baton_not-a-token"),
    ] {
        let answer = get(&server, MISSING, Some(&wrong)).await;
        assert_eq!(answer.status, 401, "{wrong:?}: {}", answer.body);
    }
    // Let in: the viewer reads, but may not settle.
    let vera = basic("vera", "v-pass");
    assert_eq!(get(&server, MISSING, Some(&vera)).await.status, 404);
    let refused = call(&server, true, SETTLE, Some(&vera), "127.0.0.1").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("needs operator"), "{}", refused.body);
    // The operator and the admin token may settle (nothing to settle here: 404).
    for allowed in [basic("otto", "o-pass"), bearer(ADMIN_TOKEN)] {
        let answer = call(&server, true, SETTLE, Some(&allowed), "127.0.0.1").await;
        assert_eq!(answer.status, 404, "{allowed:?}: {}", answer.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_client_address_and_per_user() {
    let dirs = Dirs::new();
    let users = users_setting(&[("ann", "admin", "right")]);
    let settings = [
        ("BATON_AUTH__USERS", users.as_str()),
        ("BATON_AUTH__MAX_FAILED_LOGINS", "3"),
    ];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    for _ in 0..3 {
        let answer = call(
            &server,
            false,
            MISSING,
            Some(&basic("ann", "wrong")),
            "127.0.0.1",
        )
        .await;
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    // From that address, even the right password or the admin token is refused now...
    for credentials in [basic("ann", "right"), bearer(ADMIN_TOKEN)] {
        let answer = call(&server, false, MISSING, Some(&credentials), "127.0.0.1").await;
        assert_eq!(answer.status, 429, "{credentials:?}: {}", answer.body);
        let seconds: u64 = answer.retry_after.unwrap().parse().unwrap();
        assert!((1..=300).contains(&seconds), "{seconds}");
    }
    // ...from another address, ann is still refused (per user), the token is not.
    let elsewhere = "127.0.0.2";
    let ann = call(
        &server,
        false,
        MISSING,
        Some(&basic("ann", "right")),
        elsewhere,
    )
    .await;
    assert_eq!(ann.status, 429, "{}", ann.body);
    let token = call(
        &server,
        false,
        MISSING,
        Some(&bearer(ADMIN_TOKEN)),
        elsewhere,
    )
    .await;
    assert_eq!(token.status, 404, "{}", token.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_without_accounts_prints_an_admin_password_once() {
    let dirs = Dirs::new();
    let no_token = [("BATON_AUTH__TOKENS", "[]")];
    let server = Server::start_configured(&dirs, "info", true, &no_token).await;
    let marker = "*** Baton: created the user 'admin' (role admin) with the password ";
    let line = server.await_log(&[marker]);
    let password = line.split(marker).nth(1).unwrap().trim().to_owned();
    assert!(password.len() >= 20, "{password}");
    let admin = basic("admin", &password);
    assert_eq!(get(&server, MISSING, Some(&admin)).await.status, 404);
    assert_eq!(
        get(&server, MISSING, Some(&bearer(ADMIN_TOKEN)))
            .await
            .status,
        401
    );
    let accounts = std::fs::read_to_string(dirs.data().join("users.toml")).unwrap();
    assert!(accounts.contains("$argon2id$"), "{accounts}");
    assert!(!accounts.contains(&password), "the password itself is kept");
    let logged = server.await_log(&["No account configured: created the first user"]);
    assert!(!logged.contains(&password), "{logged}");
    server.kill();

    let again = Server::start_configured(&dirs, "info", true, &no_token).await;
    assert_eq!(get(&again, MISSING, Some(&admin)).await.status, 404);
    assert!(!again.logged(&["*** Baton: created"]), "printed again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baton_user_and_token_change_who_can_log_in() {
    let dirs = Dirs::new();
    let users = users_setting(&[("cora", "viewer", "config-pass")]);
    // The failures below are meant: keep them under the limit.
    let settings = [
        ("BATON_AUTH__USERS", users.as_str()),
        ("BATON_AUTH__MAX_FAILED_LOGINS", "100"),
    ];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let add = ["user", "add", "ann", "--role", "operator"];
    succeeded(dirs.baton_with(&add, &[("BATON_PASSWORD", "first")]));
    let refusal = failed(dirs.baton_with(&add, &[("BATON_PASSWORD", "again")]));
    assert!(refusal.contains("exists already"), "{refusal}");
    let first = basic("ann", "first");
    let answer = call(&server, true, SETTLE, Some(&first), "127.0.0.1").await;
    assert_eq!(answer.status, 404, "{}", answer.body);

    // The command line logs in as ann, and does not call without credentials.
    let failures = ["failures", "999999", "--server", server.address.as_str()];
    let as_ann = [("BATON_USER", "ann"), ("BATON_PASSWORD", "first")];
    let refusal = failed(dirs.baton_with(&failures, &as_ann));
    assert!(refusal.contains("(404)"), "{refusal}");
    let refusal = failed(dirs.baton_with(&failures, &[]));
    assert!(
        refusal.contains("no credentials") && refusal.contains("BATON_TOKEN"),
        "{refusal}"
    );

    succeeded(dirs.baton_with(&["user", "passwd", "ann"], &[("BATON_PASSWORD", "second")]));
    assert_eq!(get(&server, MISSING, Some(&first)).await.status, 401);
    assert_eq!(
        get(&server, MISSING, Some(&basic("ann", "second")))
            .await
            .status,
        404
    );

    succeeded(dirs.baton(&["user", "remove", "ann"]));
    assert_eq!(
        get(&server, MISSING, Some(&basic("ann", "second")))
            .await
            .status,
        401
    );

    // A token for a script: printed once, kept as a digest, viewer only.
    let token = succeeded(dirs.baton(&["token", "add", "ci", "--role", "viewer"]));
    let token = token.trim();
    let accounts = std::fs::read_to_string(dirs.data().join("users.toml")).unwrap();
    assert!(!accounts.contains(token), "{accounts}");
    let refusal = failed(dirs.baton_with(&failures, &[("BATON_TOKEN", token)]));
    assert!(refusal.contains("(404)"), "{refusal}");
    let settle = call(&server, true, SETTLE, Some(&bearer(token)), "127.0.0.1").await;
    assert_eq!(settle.status, 403, "{}", settle.body);
    succeeded(dirs.baton(&["token", "remove", "ci"]));
    assert_eq!(
        get(&server, MISSING, Some(&bearer(token))).await.status,
        401
    );

    // Accounts of the configuration win over those of the same name in the file.
    let cora = ["user", "add", "cora", "--role", "admin"];
    succeeded(dirs.baton_with(&cora, &[("BATON_PASSWORD", "file-pass")]));
    assert_eq!(
        get(&server, MISSING, Some(&basic("cora", "file-pass")))
            .await
            .status,
        401
    );
    let configured = basic("cora", "config-pass");
    assert_eq!(get(&server, MISSING, Some(&configured)).await.status, 404);
    let settle = call(&server, true, SETTLE, Some(&configured), "127.0.0.1").await;
    assert_eq!(settle.status, 403, "{}", settle.body);
    let shadowed = succeeded(dirs.baton(&["token", "add", "test-harness", "--role", "admin"]));
    let shadowed = bearer(shadowed.trim());
    assert_eq!(get(&server, MISSING, Some(&shadowed)).await.status, 401);
}

/// samples/AsyncPair's deploy.xml with the callback service requiring the user `server`'s
/// password (argon2 `hash`), and the client's calls to the server sent to `nowhere.epr`, so
/// that the client waits for a callback that only a test's message brings. With
/// `server_link`, the server process calls back over HTTP with that `<baton:link>`.
fn guarded_async_pair(hash: &str, server_link: Option<&str>) -> String {
    let text =
        std::fs::read_to_string(common::repo().join("samples/AsyncPair/deploy.xml")).unwrap();
    let text = text.replace(
        r#"<service name="tns:CallbackService" port="CallbackPort"/>
    </provide>"#,
        &format!(
            r#"<service name="tns:CallbackService" port="CallbackPort">
        <baton:credentials xmlns:baton="urn:baton:deploy" user="server" password-hash="{hash}"/>
      </service>
    </provide>"#
        ),
    );
    let text = text.replace(
        r#"<invoke partnerLink="server" usePeer2Peer="true">
      <service name="tns:ServerService" port="ServerPort"/>"#,
        r#"<invoke partnerLink="server" usePeer2Peer="false">
      <service name="tns:ServerService" port="ServerPort">
        <endpoint xmlns="http://wso2.org/bps/bpel/endpoint/config" endpointReference="nowhere.epr"/>
      </service>"#,
    );
    let text = match server_link {
        Some(link) => text.replace(
            r#"<invoke partnerLink="requester" usePeer2Peer="true">
      <service name="tns:CallbackService" port="CallbackPort"/>"#,
            &format!(
                r#"<invoke partnerLink="requester" usePeer2Peer="false">
      <service name="tns:CallbackService" port="CallbackPort">{link}</service>"#
            ),
        ),
        None => text,
    };
    assert!(text.contains("baton:credentials") && text.contains("nowhere.epr"));
    assert!(server_link.is_none_or(|link| text.contains(link)));
    text
}

/// Deploys [`guarded_async_pair`] on `server`, the callback password being `password`.
fn deploy_guarded_pair(dirs: &Dirs, server: &Server, password: &str, server_link: Option<&str>) {
    let staging = dirs.root().join("staging-AsyncPair");
    common::copy_unit(&common::repo().join("samples/AsyncPair"), &staging, &|t| t);
    let hash = hash_password(password).unwrap();
    let deploy_xml = guarded_async_pair(&hash, server_link);
    std::fs::write(staging.join("deploy.xml"), deploy_xml).unwrap();
    let nowhere = r#"<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>http://127.0.0.1:9/nowhere</wsa:Address></wsa:EndpointReference>"#;
    std::fs::write(staging.join("nowhere.epr"), nowhere).unwrap();
    std::fs::rename(&staging, dirs.deploy().join("AsyncPair")).unwrap();
    server.await_log(&["Unit deployed", "unit=AsyncPair"]);
}

/// Starts an order on the AsyncPair client and returns its pending answer.
fn start_order(server: &Server, id: &str) -> tokio::task::JoinHandle<(u16, String)> {
    let order = format!(
        r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>book</a:item></a:order>"#
    );
    let (address, path) = (server.address.clone(), "/ode/processes/AsyncClient");
    tokio::spawn(async move {
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{order}</s:Body></s:Envelope>"#
        );
        let response = reqwest::Client::new()
            .post(format!("{address}{path}"))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(envelope)
            .timeout(common::PATIENCE)
            .send()
            .await
            .expect("the client answers in time");
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

/// Waits until `count` one-way calls of the client failed (it then awaits its callback).
fn await_failed_calls(server: &Server, count: usize) {
    server.await_log_count(&["One-way invoke failed"], count);
}

/// POSTs a SOAP callback `<result>` for order `id` to the client's callback port.
/// A callback for order `id` to the AsyncPair client, from the local address `from`.
async fn callback(
    server: &Server,
    id: &str,
    credentials: Option<&Presented>,
    from: &str,
) -> Answer {
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a:result xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:status>forged</a:status></a:result></s:Body></s:Envelope>"#
    );
    let request = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
        .post(format!(
            "{}/ode/processes/AsyncClientCallback",
            server.address
        ))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope);
    answer(request, credentials).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_port_with_credentials_refuses_forged_callbacks_and_lets_its_partner_in() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    deploy_guarded_pair(&dirs, &server, "callback-secret", None);

    let first = start_order(&server, "o-1");
    await_failed_calls(&server, 1);
    // Forged: no credentials, another scheme, a wrong password.
    for credentials in [
        None,
        Some(bearer(ADMIN_TOKEN)),
        Some(basic("server", "guess")),
    ] {
        let answer = callback(&server, "o-1", credentials.as_ref(), "127.0.0.1").await;
        assert_eq!(answer.status, 401, "{credentials:?}: {}", answer.body);
        assert!(
            answer.body.contains("requires credentials"),
            "{}",
            answer.body
        );
        assert!(answer.body.contains("Fault"), "{}", answer.body);
        assert!(answer.challenge.is_some());
    }
    // A SOAP 1.2 caller gets a SOAP 1.2 fault.
    let soap12 = reqwest::Client::new()
        .post(format!("{}/ode/processes/AsyncClientCallback", server.address))
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#)
        .send()
        .await
        .unwrap();
    assert_eq!(soap12.status().as_u16(), 401);
    let fault = soap12.text().await.unwrap();
    assert!(
        fault.contains("http://www.w3.org/2003/05/soap-envelope") && fault.contains("Fault"),
        "{fault}"
    );
    // The real partner, the server process, calls back peer-to-peer and gets through.
    let order = r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>o-1</a:id><a:item>book</a:item></a:order>"#;
    let (status, body) = server.soap("/ode/processes/AsyncServer", order).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        common::element_text(&body, "status").as_deref(),
        Some("shipped book"),
        "{body}"
    );

    // An HTTP caller with the credentials gets through too.
    let second = start_order(&server, "o-2");
    await_failed_calls(&server, 2);
    let right = basic("server", "callback-secret");
    let answer = callback(&server, "o-2", Some(&right), "127.0.0.1").await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let (status, body) = second.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        common::element_text(&body, "status").as_deref(),
        Some("forged"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_at_a_guarded_service_are_limited_per_client_address() {
    let dirs = Dirs::new();
    let settings = [("BATON_AUTH__MAX_FAILED_LOGINS", "2")];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    deploy_guarded_pair(&dirs, &server, "callback-secret", None);
    for _ in 0..2 {
        let guess = basic("server", "guess");
        let answer = callback(&server, "o-9", Some(&guess), "127.0.0.1").await;
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    // From that address even the right password is refused now, without being checked...
    let right = basic("server", "callback-secret");
    let answer = callback(&server, "o-9", Some(&right), "127.0.0.1").await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(
        answer.body.contains("too many failed logins"),
        "{}",
        answer.body
    );
    let seconds: u64 = answer.retry_after.unwrap().parse().unwrap();
    assert!((1..=300).contains(&seconds), "{seconds}");
    // ...while a partner calling from elsewhere gets through.
    let answer = callback(&server, "o-9", Some(&right), "127.0.0.2").await;
    assert!(![401, 429].contains(&answer.status), "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_calling_back_over_http_presents_the_credentials_of_its_link() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, "info,baton::engine::partner=debug").await;
    let link =
        r#"<baton:link xmlns:baton="urn:baton:deploy" user="server" password="callback-secret"/>"#;
    deploy_guarded_pair(&dirs, &server, "callback-secret", Some(link));
    let order = start_order(&server, "o-3");
    await_failed_calls(&server, 1);
    let request = r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>o-3</a:id><a:item>pen</a:item></a:order>"#;
    let (status, body) = server.soap("/ode/processes/AsyncServer", request).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = order.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        common::element_text(&body, "status").as_deref(),
        Some("shipped pen"),
        "{body}"
    );
    let line = server.await_log(&["Invoking partner", "partner_link=requester"]);
    assert!(line.contains("via=http"), "{line}");
}
