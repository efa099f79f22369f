//! `payout-loadbench`: the load-speed half of `scripts/bench.sh` (issue 12), not a test. Given
//! a flow link and the URL of the minimal Leptos app (`crates/minimal-app`), both served by the
//! same sandbox, it prints:
//!
//! - the sizes of each build's wasm, JS and CSS: raw, gzip and brotli, as the sandbox serves
//!   them (its own precompression, [`payout_sandbox::precompress_assets`]);
//! - the time from navigation to the first screen usable (the app: sign-in's "Send code"
//!   enabled, the page's own form's (`index.html`, usable before the app arrives) or the
//!   app's; the minimal app: its button enabled after its one fetch), and to the app running
//!   (the app's own "Send code"; for the minimal app the same moment), in headless Chromium
//!   with a cold cache (a new browser profile for every run), the median of `--runs` runs, on
//!   loopback and under a "slow 4G" profile (1.6 Mbit/s down, 750 kbit/s up, 150 ms round
//!   trip, by Chromium's network emulation), side by side, and the app's time as a multiple of
//!   the minimal app's;
//! - where the app's time goes: one more cold load under slow 4G, with the page's and each
//!   resource's request and answer times (the browser's resource timing) and the first paints
//!   beside the moment it became usable.
//!
//! ```text
//! payout-loadbench --app URL --minimal URL --app-dist DIR --minimal-dist DIR [--runs 7]
//! ```

use anyhow::{bail, Context as _, Result};
use payout_e2e::Browser;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Records, in every document from its start, when the first screen becomes usable and when
/// the app runs: `window.__usable` resolves to `[usable, running]`, each `performance.now()`
/// (milliseconds since navigation began) the first time its marker is in the page. Usable: a
/// "Send code" enabled, the page's own (`index.html`, before the app) or the app's, or the
/// minimal app's button; running: the app's "Send code", or the minimal app's button.
const USABLE_RECORDER: &str = r#"(function () {
  if (window.__usable) return;
  var usable = '[data-testid=boot-send-code]:not([disabled]),' +
               '[data-testid=auth-send-code]:not([disabled]),' +
               '[data-testid=minimal-ready]:not([disabled])';
  var running = '[data-testid=auth-send-code]:not([disabled]),' +
                '[data-testid=minimal-ready]:not([disabled])';
  window.__usable = new Promise(function (resolve) {
    var first = null;
    var observer = new MutationObserver(function () {
      if (first === null && document.querySelector(usable)) first = performance.now();
      if (first !== null && document.querySelector(running)) {
        observer.disconnect();
        resolve([first, performance.now()]);
      }
    });
    observer.observe(document, {subtree: true, childList: true, attributes: true});
  });
})();"#;

/// Waits for [`USABLE_RECORDER`]'s times.
const AWAIT_USABLE: &str = "var done = arguments[arguments.length - 1];
    window.__usable.then(done);";

/// The page's and every resource's `[name, start, end, bytes on the wire]`, and the first
/// paints', in milliseconds since navigation began (ids written `{id}`: a flow link is a
/// capability).
const TIMELINE: &str = r#"var ids = /[0-9a-f]{8}-[0-9a-f-]{27}/g;
  var page = performance.getEntriesByType('navigation')[0];
  var out = [[location.pathname.replace(ids, '{id}'), 0, page.responseEnd, page.transferSize]];
  performance.getEntriesByType('resource').forEach(function (r) {
    out.push([r.initiatorType + ' ' + r.name.replace(location.origin, '').replace(ids, '{id}'),
              r.startTime, r.responseEnd, r.transferSize]);
  });
  performance.getEntriesByType('paint').forEach(function (p) {
    out.push([p.name, p.startTime, p.startTime, 0]);
  });
  return out;"#;

/// A network profile: Chromium's `Network.emulateNetworkConditions`, or none.
#[derive(Clone, Copy)]
struct Profile {
    name: &'static str,
    conditions: Option<(f64, f64, f64)>,
}

const PROFILES: [Profile; 2] = [
    Profile {
        name: "loopback",
        conditions: None,
    },
    Profile {
        name: "slow 4G",
        // Round trip in ms; bytes per second down and up: 1.6 Mbit/s and 750 kbit/s.
        conditions: Some((150.0, 1_600_000.0 / 8.0, 750_000.0 / 8.0)),
    },
];

struct Args {
    app: String,
    minimal: String,
    app_dist: PathBuf,
    minimal_dist: PathBuf,
    runs: usize,
}

fn args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let (mut app, mut minimal, mut app_dist, mut minimal_dist, mut runs) =
        (None, None, None, None, 7);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--app" => app = Some(value),
            "--minimal" => minimal = Some(value),
            "--app-dist" => app_dist = Some(PathBuf::from(value)),
            "--minimal-dist" => minimal_dist = Some(PathBuf::from(value)),
            "--runs" => runs = value.parse().context("--runs")?,
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(Args {
        app: app.context("--app URL")?,
        minimal: minimal.context("--minimal URL")?,
        app_dist: app_dist.context("--app-dist DIR")?,
        minimal_dist: minimal_dist.context("--minimal-dist DIR")?,
        runs: {
            if runs < 7 {
                eprintln!(
                    "payout-loadbench: --runs {runs}: a quick look; issue 12's figures are the \
                     median of at least 7"
                );
            }
            runs.max(1)
        },
    })
}

/// Raw, gzip and brotli bytes of a build's files ending in `extension` (its top level).
async fn sizes(dist: &Path, extension: &str) -> Result<(u64, u64, u64)> {
    let mut total = (0, 0, 0);
    for entry in std::fs::read_dir(dist).with_context(|| dist.display().to_string())? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(extension) {
            continue;
        }
        let size = |suffix: &str| -> Result<u64> {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            Ok(std::fs::metadata(PathBuf::from(name))?.len())
        };
        total.0 += size("")?;
        total.1 += size(".gz")?;
        total.2 += size(".br")?;
    }
    Ok(total)
}

/// Milliseconds from navigation to the first screen usable, and to the app running.
#[derive(Clone, Copy)]
struct Times {
    usable: f64,
    running: f64,
}

/// One cold load of `url` under `profile`: its [`Times`], and with `timeline`, the page's and
/// its resources' times ([`TIMELINE`]).
async fn load_once(
    url: &str,
    profile: Profile,
    timeline: bool,
) -> Result<(Times, Option<serde_json::Value>)> {
    let browser = Browser::start().await?;
    browser.cdp("Network.enable", json!({})).await?;
    if let Some((latency, down, up)) = profile.conditions {
        browser
            .cdp(
                "Network.emulateNetworkConditions",
                json!({"offline": false, "latency": latency,
                       "downloadThroughput": down, "uploadThroughput": up}),
            )
            .await?;
    }
    browser.run_on_each_page(USABLE_RECORDER).await?;
    browser.client.goto(url).await?;
    let times = browser
        .client
        .execute_async(AWAIT_USABLE, Vec::new())
        .await
        .with_context(|| format!("{url} never became usable"))?;
    let time = |i: usize| times[i].as_f64().context("a time in milliseconds");
    let times = Times {
        usable: time(0)?,
        running: time(1)?,
    };
    let entries = if timeline {
        Some(browser.client.execute(TIMELINE, Vec::new()).await?)
    } else {
        None
    };
    browser.close().await?;
    Ok((times, entries))
}

/// Prints a [`TIMELINE`]'s entries, then when the screen became usable and the app ran.
fn print_timeline(entries: &serde_json::Value, times: Times) -> Result<()> {
    for entry in entries.as_array().context("a timeline")? {
        let field = |i: usize| entry.get(i).cloned().unwrap_or_default();
        let name = field(0).as_str().unwrap_or_default().to_owned();
        let (start, end) = (field(1).as_f64(), field(2).as_f64());
        let bytes = field(3).as_u64().unwrap_or_default();
        println!(
            "  {:>6.0} → {:>6.0} ms  {:>9}  {name}",
            start.unwrap_or_default(),
            end.unwrap_or_default(),
            kb(bytes)
        );
    }
    println!(
        "  {:>6.0} ms: sign-in's \"Send code\" usable (the page's own form)",
        times.usable
    );
    println!(
        "  {:>6.0} ms: the app running (its own \"Send code\")",
        times.running
    );
    Ok(())
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2.0
    } else {
        times[mid]
    }
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    println!("sizes as served (raw / gzip / brotli)");
    let mut app_brotli = 0;
    for (name, dist) in [("app", &args.app_dist), ("minimal", &args.minimal_dist)] {
        payout_sandbox::precompress_assets(dist).await?;
        for extension in ["wasm", "js", "css"] {
            let (raw, gzip, brotli) = sizes(dist, extension).await?;
            if raw == 0 {
                continue;
            }
            if name == "app" {
                app_brotli += brotli;
            }
            println!(
                "  {name:<8} {extension:<5} {:>10} / {:>10} / {:>10}",
                kb(raw),
                kb(gzip),
                kb(brotli)
            );
        }
    }
    println!(
        "  app wasm + JS + CSS with brotli: {} (target: at most 200 KB)",
        kb(app_brotli)
    );

    println!(
        "navigation to first screen usable, headless Chromium, cold cache, median of {} runs",
        args.runs
    );
    for profile in PROFILES {
        let mut medians = Vec::new();
        for url in [&args.app, &args.minimal] {
            let mut usable = Vec::with_capacity(args.runs);
            let mut running = Vec::with_capacity(args.runs);
            for _ in 0..args.runs {
                let times = load_once(url, profile, false).await?.0;
                usable.push(times.usable);
                running.push(times.running);
            }
            medians.push((median(usable), median(running)));
        }
        let (app, minimal) = (medians[0], medians[1]);
        println!(
            "  {:<9} usable:  app {:>7.0} ms   minimal {:>7.0} ms   ratio {:.2}x{}",
            profile.name,
            app.0,
            minimal.0,
            app.0 / minimal.0,
            if profile.conditions.is_some() {
                " (target: at most 1.5x)"
            } else {
                ""
            }
        );
        println!(
            "  {:<9} running: app {:>7.0} ms   minimal {:>7.0} ms   ratio {:.2}x",
            "",
            app.1,
            minimal.1,
            app.1 / minimal.1,
        );
    }
    let slow = PROFILES
        .into_iter()
        .find(|p| p.conditions.is_some())
        .context("a slow profile")?;
    println!(
        "where the app's time goes: one more cold load under {}",
        slow.name
    );
    let (times, entries) = load_once(&args.app, slow, true).await?;
    print_timeline(&entries.context("a timeline")?, times)?;
    Ok(())
}
