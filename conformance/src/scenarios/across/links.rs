//! The client action link (docs/domain.md §8): its form (a uid fixed per agency, the agency's name normalised,
//! the service's journey), and the page it opens, on which the client signs in and accepts, as a browser would
//! (a cookie, the forms' anti-forgery tokens).

use anyhow::{Result, anyhow};

use crate::harness::*;
use crate::http::{Exchange, Request};
use crate::reference::ID_ALPHABET;
use crate::sandbox::Agent;
use crate::scenarios::agent_authorisation_v2::get;

/// Where the client's pages start.
const PAGES: &str = "/appoint-someone-to-deal-with-HMRC-for-you/";

/// The link of a Pending request of `agent`, as a path on the server: `/appoint-…/{uid}/{agency}/{journey}`.
async fn link_of(ctx: &Ctx, agent: &Agent, id: &str) -> Result<String> {
    let read = ctx.expect("get_invitation/200", get(agent, id)).await?;
    let link = read.json().unwrap_or_default()["clientActionUrl"].clone();
    let link = link.as_str().unwrap_or_default();
    link.find(PAGES)
        .map(|at| link[at..].to_owned())
        .ok_or_else(|| anyhow!("clientActionUrl {link:?} has no {PAGES}"))
}

/// An agency's name as its links carry it: lower case, each whitespace run one `-`, nothing else but
/// `[a-z0-9-]` (`Bob & Co` → `bob--co`).
pub(crate) fn normalised(name: &str) -> String {
    let mut out = String::new();
    let mut in_run = false;
    for c in name.to_lowercase().chars() {
        if c.is_whitespace() {
            if !in_run {
                out.push('-');
            }
            in_run = true;
            continue;
        }
        in_run = false;
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            out.push(c);
        }
    }
    out
}

/// Two requests of one agency share one uid, and another agency's differ; the agency's name is normalised; the
/// journey is the service's.
pub async fn link_form(ctx: Ctx) -> Result<()> {
    let s = ctx.sandbox();
    let (agent, other, client, vat) =
        tokio::try_join!(s.agent(), s.agent(), s.itsa_client(), s.vat_client(false))?;
    let itsa = s
        .create_invitation(&agent, &itsa_body(&client, None))
        .await?;
    let vat_id = s.create_invitation(&agent, &vat_body(&vat)).await?;
    let theirs = s.create_invitation(&other, &vat_body(&vat)).await?;
    let links = [
        link_of(&ctx, &agent, &itsa).await?,
        link_of(&ctx, &agent, &vat_id).await?,
        link_of(&ctx, &other, &theirs).await?,
    ];
    let parts: Vec<Vec<&str>> = links
        .iter()
        .map(|l| l[PAGES.len()..].split('/').collect())
        .collect();
    let uid_ok = |uid: &str| uid.len() == 8 && uid.bytes().all(|b| ID_ALPHABET.contains(&b));
    let holds = parts.iter().all(|p| p.len() == 3 && uid_ok(p[0]))
        && parts[0][0] == parts[1][0]
        && parts[0][0] != parts[2][0]
        && parts[0][1] == normalised(&agent.agency_name)
        && parts[2][1] == normalised(&other.agency_name)
        && parts[0][2] == "income-tax"
        && parts[1][2] == "vat";
    ctx.rule("R-LINK-FORMAT", holds, || {
        format!(
            "links {links:?} for agencies {:?} and {:?}",
            agent.agency_name, other.agency_name
        )
    })
}

/// The value of the hidden field `name` of the first form that has one.
fn hidden(page: &Exchange, name: &str) -> Option<String> {
    let text = page.response.text();
    let marker = format!("name=\"{name}\" value=\"");
    let start = text.find(&marker)? + marker.len();
    let end = text[start..].find('"')?;
    Some(text[start..start + end].to_owned())
}

/// A form body, each value percent-encoded.
fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    let encode = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let pairs: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    pairs.join("&").into_bytes()
}

/// A page request as a browser sends it, with the cookie it holds.
fn page(method: &str, path: &str, cookie: &str, body: Option<Vec<u8>>) -> Request {
    let request = Request::new(method, path)
        .header("Accept", "text/html")
        .header("Cookie", cookie);
    match body {
        Some(body) => request.bytes(body).set_header(
            "Content-Type",
            Some("application/x-www-form-urlencoded".into()),
        ),
        None => request,
    }
}

/// The `name=value` of the answer's `Set-Cookie`, or the one held before.
fn cookie(exchange: &Exchange, held: &str) -> String {
    exchange
        .response
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map_or_else(|| held.to_owned(), str::to_owned)
}

/// The link opens a page; the client signs in on it with the sandbox user's credentials and accepts, and the
/// request reads Accepted. A link with an unknown uid is a 404 page.
pub async fn link_opens_the_page(ctx: Ctx) -> Result<()> {
    let (agent, client) = tokio::try_join!(ctx.sandbox().agent(), ctx.sandbox().vat_client(false))?;
    let id = ctx
        .sandbox()
        .create_invitation(&agent, &vat_body(&client))
        .await?;
    let link = link_of(&ctx, &agent, &id).await?;
    let opened = ctx.send(page("GET", &link, "", None)).await?;
    let mut held = cookie(&opened, "");
    let user = client.answer["userId"].as_str().unwrap_or_default();
    let password = client.answer["password"].as_str().unwrap_or_default();
    let token = hidden(&opened, "csrf_token").unwrap_or_default();
    let sign_in = form(&[
        ("csrf_token", &token),
        ("user_id", user),
        ("password", password),
    ]);
    let signed_in = ctx
        .send(page(
            "POST",
            &format!("{link}/sign-in"),
            &held,
            Some(sign_in),
        ))
        .await?;
    held = cookie(&signed_in, &held);
    let requests = ctx.send(page("GET", &link, &held, None)).await?;
    let token = hidden(&requests, "csrf_token").unwrap_or_default();
    let answer = form(&[
        ("csrf_token", &token),
        ("invitation_id", &id),
        ("decision", "accept"),
    ]);
    let answered = ctx
        .send(page("POST", &format!("{link}/answer"), &held, Some(answer)))
        .await?;
    let status = ctx.sandbox().invitation_status(&agent, &id).await?;
    let html = opened
        .response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    let steps = [
        opened.status(),
        signed_in.status(),
        requests.status(),
        answered.status(),
    ];
    ctx.rule("R-LINK-OPENS-PAGE", html && steps == [200, 303, 200, 303] && status == "Accepted", || {
        format!("open, sign in, read, accept answered {steps:?} (expected [200, 303, 200, 303]); the request reads {status}\n      repeat:   {}", opened.curl())
    })?;
    let uid = &link[PAGES.len()..PAGES.len() + 8];
    let unknown = link.replacen(uid, "AAAAAAAA", 1);
    let missing = ctx.send(page("GET", &unknown, "", None)).await?;
    ctx.rule("R-LINK-OPENS-PAGE", missing.status() == 404, || {
        format!("a link with an unknown uid answered {}", missing.summary())
    })
}
