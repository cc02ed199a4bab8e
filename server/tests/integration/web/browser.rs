//! The client's journey in a real browser: headless Chromium, driven through ChromeDriver, walks from the
//! `clientActionUrl` of an invitation made with the v2.0 API to the agent seeing the answer. Every step checks the
//! page's accessibility basics (language, title, headings in order, labelled fields) and saves a screenshot under
//! `target/browser-test/<scenario>/`; a broken step fails the test with its name and saves `FAILED.png` and
//! `FAILED.html` beside them. One sign-in and one answer use the keyboard alone, and the request page is shown
//! once without its stylesheet.
//!
//! Needs Chromium and ChromeDriver (Debian: `apt-get install chromium chromium-driver`), so it is ignored by a
//! plain `cargo test`; `cargo xtask test` installs them if needed and runs it with `--ignored`. `CHROMIUM` and
//! `CHROMEDRIVER` name other binaries.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Agent, Individual, TestApp, check_body, itsa_main};
use anyhow::{Context, Result, bail, ensure};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The agent asks, the client signs in through the link and accepts: the agent's relationship check answers
/// 204 and the invitation reads Accepted.
#[tokio::test]
#[ignore = "drives Chromium: run by `cargo xtask test`"]
async fn a_client_accepts_through_the_link() {
    let scene = Scene::new().await;
    with_browser("accept", async |browser| {
        let heading = format!("You have appointed {}", scene.agent.agency_name);
        scene
            .answer(browser, Input::Mouse, "accept", &heading)
            .await?;
        scene.agent_sees("Accepted", StatusCode::NO_CONTENT).await?;

        // Back on the page, the request is answered: no buttons are left.
        browser.goto(&scene.link, "07-after-accepting").await?;
        browser
            .expect_no(".answer button", "answer buttons")
            .await?;
        let sentence = browser
            .text(&format!("#request-{} .status", scene.id))
            .await?;
        ensure!(
            sentence.starts_with("You accepted this request"),
            "status reads {sentence:?}"
        );
        Ok(())
    })
    .await;
}

/// The client declines: the invitation reads Rejected and there is no relationship.
#[tokio::test]
#[ignore = "drives Chromium: run by `cargo xtask test`"]
async fn a_client_declines_through_the_link() {
    let scene = Scene::new().await;
    with_browser("decline", async |browser| {
        scene
            .answer(
                browser,
                Input::Keyboard,
                "decline",
                "You have declined the request",
            )
            .await?;
        scene.agent_sees("Rejected", StatusCode::NOT_FOUND).await
    })
    .await;
}

/// Another client signs in through the same link: they see no request, and a forged answer to the first
/// client's request is refused without changing it.
#[tokio::test]
#[ignore = "drives Chromium: run by `cargo xtask test`"]
async fn a_wrong_client_cannot_accept() {
    let scene = Scene::new().await;
    let stranger = scene.app.create_itsa_client().await;

    with_browser("wrong-client", async |browser| {
        sign_in(browser, &scene.link, &stranger).await?;
        browser.find("#no-requests", "the no-requests notice").await?;
        browser.expect_no(".answer button", "answer buttons").await?;
        browser.shot("05-no-requests").await?;

        // The stranger posts an answer to the client's request from their own session (a real form of the
        // page, with their own anti-forgery token), as a curious user with developer tools could.
        browser
            .client
            .execute(
                "const form = document.querySelector('form.sign-out');
                 form.action = form.action.replace(/sign-out$/, 'answer');
                 for (const [name, value] of [['invitation_id', arguments[0]], ['decision', 'accept']]) {
                     const input = document.createElement('input');
                     input.type = 'hidden'; input.name = name; input.value = value;
                     form.appendChild(input);
                 }
                 form.submit();",
                vec![json!(scene.id)],
            )
            .await
            .context("posting a forged answer")?;
        browser.wait_for_heading("This request is not for you").await?;
        browser.shot("06-refused").await?;
        scene.agent_sees("Pending", StatusCode::NOT_FOUND).await
    })
    .await;
}

/// How the client chooses.
#[derive(Debug, Clone, Copy)]
enum Input {
    Mouse,
    Keyboard,
}

/// An agent, a client signed up to MTD Income Tax, and the agent's pending MTD-IT request to them, made with
/// the v2.0 API.
struct Scene {
    app: TestApp,
    agent: Agent,
    client: Individual,
    id: String,
    /// The request's `clientActionUrl`.
    link: String,
}

impl Scene {
    async fn new() -> Self {
        let app = TestApp::start().await;
        let agent = app.create_agent().await;
        let client = app.create_itsa_client().await;
        let id = app.create_invitation_ok(&agent, &itsa_main(&client)).await;
        let invitation = app.invitation(&agent, &id).await;
        let link = invitation["clientActionUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("no clientActionUrl in {invitation}"))
            .to_owned();
        Self {
            app,
            agent,
            client,
            id,
            link,
        }
    }

    /// Signs in through the link as the client, chooses Accept or Decline, and checks the confirmation.
    async fn answer(
        &self,
        browser: &Browser,
        input: Input,
        decision: &str,
        heading: &str,
    ) -> Result<()> {
        sign_in_through_the_link(browser, &self.link, &self.agent, &self.client).await?;
        let button = format!("#request-{} button[value={decision}]", self.id);
        match input {
            Input::Mouse => browser.click(&button, decision).await?,
            Input::Keyboard => browser.press_enter(&button, decision).await?,
        }
        let shown = browser.text("h1").await?;
        ensure!(shown == heading, "the confirmation reads {shown:?}");
        browser.shot(&format!("06-{decision}")).await
    }

    /// What the agent's software sees through the v2.0 API: the request's status and the relationship check.
    async fn agent_sees(&self, status: &str, relationship: StatusCode) -> Result<()> {
        let read = self.app.invitation_status(&self.agent, &self.id).await;
        ensure!(read == status, "the invitation reads {read}, not {status}");
        let check = self
            .app
            .check_relationship(&self.agent, &check_body(&itsa_main(&self.client)))
            .await;
        ensure!(
            check.status() == relationship,
            "check relationship answered {}, not {relationship}",
            check.status()
        );
        Ok(())
    }
}

/// Opens the link signed out (it names the agency and the service), then signs in and sees the request.
async fn sign_in_through_the_link(
    browser: &Browser,
    link: &str,
    agent: &Agent,
    client: &Individual,
) -> Result<()> {
    sign_in(browser, link, client).await?;
    let text = browser.text("main").await?;
    ensure!(
        text.contains("Sent on") && text.contains("Waiting for your answer"),
        "the signed-in page lacks the pending request: {text}"
    );
    browser.without_styles().await?;
    let buttons = browser
        .client
        .find_all(Locator::Css(".answer button"))
        .await?;
    ensure!(
        buttons.len() == 2,
        "{} answer buttons without styles",
        buttons.len()
    );
    browser.shot("05-without-styles").await?;
    browser
        .client
        .refresh()
        .await
        .context("reloading with styles")?;
    ensure!(
        text.contains(&agent.agency_name),
        "the page does not name the agency: {text}"
    );
    Ok(())
}

/// Opens the link, checks the page before sign-in, and signs in as `client` (a wrong password first).
async fn sign_in(browser: &Browser, link: &str, client: &Individual) -> Result<()> {
    browser.goto(link, "01-link").await?;
    let heading = browser.text("h1").await?;
    ensure!(
        heading.ends_with("wants to deal with HMRC for you"),
        "the heading reads {heading:?}"
    );
    let lead = browser.text(".lead").await?;
    ensure!(
        lead.contains("Making Tax Digital for Income Tax"),
        "the service is not named: {lead:?}"
    );

    let user_id = field(&client.answer, "userId")?;
    browser.fill("#user_id", &user_id).await?;
    browser.fill("#password", "not-the-password").await?;
    browser.shot("02-wrong-password").await?;
    browser.click("form.sign-in button", "sign in").await?;
    browser.find(".error-summary", "the sign-in error").await?;
    browser.shot("03-sign-in-refused").await?;

    // The second attempt uses the keyboard alone: Enter in the password field submits the form.
    browser
        .fill("#password", &field(&client.answer, "password")?)
        .await?;
    browser
        .press_enter("#password", "the password field")
        .await?;
    let signed_in = browser.text(".signed-in").await?;
    let name = field(&client.answer, "userFullName")?;
    ensure!(
        signed_in.contains(&name),
        "signed in as {signed_in:?}, not {name}"
    );
    browser.shot("04-signed-in").await?;
    Ok(())
}

fn field(body: &Value, name: &str) -> Result<String> {
    body[name]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {name} in {body}"))
}

/// A headless Chromium session and where its screenshots go.
struct Browser {
    client: Client,
    shots: PathBuf,
}

impl Browser {
    async fn goto(&self, url: &str, shot: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        self.shot(shot).await
    }

    async fn find(&self, css: &str, what: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("{what} ({css}) is not on the page"))
    }

    async fn expect_no(&self, css: &str, what: &str) -> Result<()> {
        let found = self.client.find_all(Locator::Css(css)).await?;
        ensure!(
            found.is_empty(),
            "{} {what} ({css}) on the page",
            found.len()
        );
        Ok(())
    }

    async fn text(&self, css: &str) -> Result<String> {
        let text = self.find(css, css).await?.text().await?;
        Ok(text.trim().to_owned())
    }

    async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let input = self.find(css, css).await?;
        input.clear().await?;
        input
            .send_keys(value)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// Clicks and waits for the next page to load.
    async fn click(&self, css: &str, what: &str) -> Result<()> {
        let before = self.client.find(Locator::Css("html")).await?;
        self.find(css, what)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {what}"))?;
        self.wait_until_replaced(before).await
    }

    /// Presses Enter in (or on) an element, as a keyboard user would, and waits for the next page to load.
    async fn press_enter(&self, css: &str, what: &str) -> Result<()> {
        let before = self.client.find(Locator::Css("html")).await?;
        self.find(css, what)
            .await?
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .with_context(|| format!("pressing Enter on {what}"))?;
        self.wait_until_replaced(before).await
    }

    async fn wait_for_heading(&self, heading: &str) -> Result<()> {
        for _ in 0..100 {
            if let Ok(text) = self.text("h1").await
                && text == heading
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the heading never read {heading:?}")
    }

    /// Waits until the document `before` belongs to has gone (the form's answer has loaded).
    async fn wait_until_replaced(&self, before: fantoccini::elements::Element) -> Result<()> {
        for _ in 0..100 {
            if before.tag_name().await.is_err() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the page did not change")
    }

    /// Checks the page's accessibility basics, then saves a screenshot of it.
    async fn shot(&self, name: &str) -> Result<()> {
        self.check_accessibility()
            .await
            .with_context(|| format!("the page of step {name}"))?;
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// What assistive technology relies on: the page's language and title, one `h1` and no skipped heading
    /// level, a `main`, a label for every field and text on every button.
    async fn check_accessibility(&self) -> Result<()> {
        let problems = self
            .client
            .execute(
                "const problems = [];
                 if (!document.documentElement.lang) problems.push('no lang on <html>');
                 if (!document.title.trim()) problems.push('no title');
                 if (!document.querySelector('main')) problems.push('no <main>');
                 const h1s = document.querySelectorAll('h1').length;
                 if (h1s !== 1) problems.push(h1s + ' h1 headings');
                 let level = 0;
                 for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
                     const next = Number(heading.tagName[1]);
                     if (next > level + 1) problems.push(heading.tagName + ' after h' + level + ': ' + heading.textContent.trim());
                     level = next;
                 }
                 for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
                     if (field.labels.length === 0) problems.push('no label for the field ' + field.name);
                 }
                 for (const button of document.querySelectorAll('button')) {
                     if (!button.textContent.trim()) problems.push('a button without text');
                 }
                 return problems;",
                vec![],
            )
            .await
            .context("checking accessibility")?;
        let problems: Vec<String> = serde_json::from_value(problems)?;
        ensure!(
            problems.is_empty(),
            "accessibility: {}",
            problems.join("; ")
        );
        Ok(())
    }

    /// Turns the stylesheet off: the page must still read in order and keep its controls.
    async fn without_styles(&self) -> Result<()> {
        self.client
            .execute(
                "for (const sheet of document.styleSheets) sheet.disabled = true;",
                vec![],
            )
            .await
            .context("turning the stylesheet off")?;
        Ok(())
    }

    /// After a failed step: what the browser showed.
    async fn save_failure(&self) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(self.shots.join("FAILED.png"), png);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(self.shots.join("FAILED.html"), html);
        }
    }
}

/// Runs `scenario` in a fresh headless Chromium (its own ChromeDriver and profile), then closes both, whatever
/// happened; a failed step fails the test.
async fn with_browser(name: &str, scenario: impl AsyncFnOnce(&Browser) -> Result<()>) {
    let shots = workspace_target().join("browser-test").join(name);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("creating the screenshot directory");
    let profile = tempdir(&format!("chromium-profile-{name}"));

    let mut driver = ChromeDriver::start().await.expect("starting ChromeDriver");
    let client = connect(&driver, &profile).await;
    let browser = Browser { client, shots };
    let outcome = scenario(&browser).await;
    if outcome.is_err() {
        browser.save_failure().await;
    }
    let closed = browser.client.clone().close().await;
    driver.stop().await;
    let _ = std::fs::remove_dir_all(&profile);
    if let Err(error) = outcome {
        panic!(
            "scenario {name:?} failed: {error:#}\n(screenshots in {})",
            browser.shots.display()
        );
    }
    closed.expect("closing the browser");
}

async fn connect(driver: &ChromeDriver, profile: &Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    // These machines have no internet: without the background-networking switches Chromium keeps trying.
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--window-size=1000,1000".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|error| {
            panic!("could not start Chromium ({chromium}) through ChromeDriver: {error}")
        })
}

/// A ChromeDriver on a free local port.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> Result<Self> {
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("could not run {binary} (Debian: apt-get install chromium chromium-driver)")
            })?;
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(&status).await
                && response.status().is_success()
            {
                return Ok(Self { child, url });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("{binary} did not answer on {status}")
    }

    async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

fn workspace_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a temporary directory");
    dir
}
