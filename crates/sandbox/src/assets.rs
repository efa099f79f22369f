//! The app's files as `/app/…` serves them (issue 12, "load speed"): compressed copies and the
//! caching policy. The page itself (`/flow/{id}`, `/app/index.html`) is `routes::pages`'.
//!
//! - **Compressed once, beside the file.** Each file of the assets directory gets a brotli
//!   (`<name>.br`, best quality) and a gzip (`<name>.gz`) copy written next to it, whose
//!   modification time is set to the original's: a copy is *fresh* while the two times are
//!   equal, so a rebuild (trunk rewrites the directory) makes it stale by itself.
//!   [`precompress_assets`] compresses the whole directory (the binary runs it at start), and a
//!   request for a file without fresh copies schedules its compression in the background.
//! - **Served by `ServeDir`**, which picks `.br` or `.gz` by `Accept-Encoding` and answers
//!   `Content-Encoding`; a request whose file has no fresh copies has its `Accept-Encoding`
//!   removed first, so a stale copy is never served. Every answer says
//!   `Vary: Accept-Encoding`.
//! - **Cache-Control**: trunk's hashed files (`name-<hash>.ext`, `name-<hash>_bg.wasm`) are
//!   `public, max-age=31536000, immutable` (a new build has new names); the rest (`embed.js`,
//!   `embed.d.ts`: URLs hosts keep) `no-cache`, revalidated by `Last-Modified`.
//! - **Content types** follow the extension, except TypeScript declarations (`.d.ts`, which
//!   would pass for a video), served as `application/typescript`.
//!
//! The flow page, built per flow, is compressed per request instead ([`encode_page`]).

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;
use std::collections::HashSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tower_http::services::ServeDir;

/// `Cache-Control` of a file whose name carries its content's hash.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The content type of TypeScript declarations (`embed.d.ts`).
const TYPESCRIPT: &str = "application/typescript; charset=utf-8";
/// `Cache-Control` of any other file: kept, but checked with the server before each use.
const REVALIDATE: &str = "no-cache";

/// A compressor: a file's bytes to its compressed copy's.
type Compressor = fn(&[u8]) -> io::Result<Vec<u8>>;

/// The compressed copies made of each file: the extension `ServeDir` looks for, and the
/// compressor.
const ENCODINGS: [(&str, Compressor); 2] = [(".br", brotli), (".gz", gzip)];

/// The service of `/app/…` (paths relative to the assets directory `dir`), without the page
/// headers (`routes::pages` adds them).
pub(crate) fn service(dir: &Path) -> Router {
    let assets = Arc::new(Assets {
        dir: dir.to_owned(),
        compressing: Mutex::new(HashSet::new()),
    });
    let files = ServeDir::new(dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(from_fn_with_state(assets, negotiate))
}

/// Compresses every file of `dir` (and its subdirectories) that has no fresh copies yet;
/// answers how many it compressed. The binary runs it at start so the first visitor already
/// gets compressed files; tests await it.
pub async fn precompress_assets(dir: &Path) -> io::Result<usize> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut done = 0;
        let mut pending = vec![dir];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    pending.push(path);
                } else if is_original(&path) && !copies_fresh(&path) {
                    compress(&path)?;
                    done += 1;
                }
            }
        }
        Ok(done)
    })
    .await
    .map_err(io::Error::other)?
}

/// The assets directory and the files being compressed in the background.
struct Assets {
    dir: PathBuf,
    compressing: Mutex<HashSet<PathBuf>>,
}

impl Assets {
    /// The file a request path (relative to `/app`) names, when it is a plain path inside the
    /// directory (no `..`, no escapes: anything else `ServeDir` answers alone, uncompressed).
    fn file(&self, path: &str) -> Option<PathBuf> {
        let relative = path.strip_prefix('/')?;
        let plain = !relative.is_empty()
            && !relative.contains(['%', '\\'])
            && relative
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        let file = self.dir.join(relative);
        (plain && is_original(&file)).then_some(file)
    }

    /// Compresses `file` on a blocking thread unless that is already under way.
    fn compress_later(self: &Arc<Self>, file: PathBuf) {
        let Ok(mut compressing) = self.compressing.lock() else {
            return;
        };
        if !compressing.insert(file.clone()) {
            return;
        }
        drop(compressing);
        let assets = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = compress(&file) {
                tracing::warn!(path = %file.display(), error = %e, "could not compress an asset");
            }
            if let Ok(mut compressing) = assets.compressing.lock() {
                compressing.remove(&file);
            }
        });
    }
}

/// Around `ServeDir`: only fresh copies may be chosen; then the caching headers.
async fn negotiate(
    State(assets): State<Arc<Assets>>,
    mut request: Request,
    next: Next,
) -> Response {
    let hashed = is_hashed(request.uri().path());
    let declarations = request.uri().path().ends_with(".d.ts");
    let file = assets.file(request.uri().path());
    let fresh = match &file {
        Some(file) => {
            let file = file.clone();
            tokio::task::spawn_blocking(move || file.is_file().then(|| copies_fresh(&file)))
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    if fresh != Some(true) {
        request.headers_mut().remove(ACCEPT_ENCODING);
    }
    if let (Some(file), Some(false)) = (file, fresh) {
        assets.compress_later(file);
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if hashed { IMMUTABLE } else { REVALIDATE };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        // `.ts` guesses as an MPEG transport stream.
        if declarations && status.is_success() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(TYPESCRIPT));
        }
    }
    response
}

/// Whether `path` is a file to compress, not a copy (`.br`, `.gz`) or a copy being written.
fn is_original(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.')
        && !ENCODINGS
            .iter()
            .any(|(extension, _)| name.ends_with(extension))
}

/// Whether `file`'s copies exist and carry its modification time.
fn copies_fresh(file: &Path) -> bool {
    let Some(modified) = modified(file) else {
        return false;
    };
    ENCODINGS
        .iter()
        .all(|(extension, _)| modified_copy(file, extension) == Some(modified))
}

/// Writes `file`'s copies: each to a hidden temporary file, given the original's modification
/// time, then renamed into place (a reader never sees half a copy).
fn compress(file: &Path) -> io::Result<()> {
    let modified = std::fs::metadata(file)?.modified()?;
    let bytes = std::fs::read(file)?;
    for (extension, compressor) in ENCODINGS {
        let target = copy_path(file, extension);
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Unique per write: the start's pass and a request's may compress one file at once.
        let unique = WRITES.fetch_add(1, Ordering::Relaxed);
        let temporary =
            target.with_file_name(format!(".{name}.{}-{unique}.tmp", std::process::id()));
        let written = (|| {
            let mut out = std::fs::File::create(&temporary)?;
            out.write_all(&compressor(&bytes)?)?;
            out.set_modified(modified)?;
            std::fs::rename(&temporary, &target)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written?;
    }
    Ok(())
}

/// Copies written by this process, naming their temporary files.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// `file` with `extension` appended (`a.js` → `a.js.br`).
fn copy_path(file: &Path, extension: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(extension);
    PathBuf::from(name)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

fn modified_copy(file: &Path, extension: &str) -> Option<SystemTime> {
    modified(&copy_path(file, extension))
}

/// Brotli at its best quality (11, 4 MiB window).
fn brotli(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &Default::default())?;
    Ok(out)
}

/// Gzip at its best level.
fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The flow page (built per flow, so not kept) in the encoding `accept` (a request's
/// `Accept-Encoding`) prefers of brotli and gzip (brotli on a tie), or as it is when it takes
/// neither, with its `Content-Encoding`. Compressed per request at quick settings (brotli 5,
/// gzip 6: well under a millisecond for the page). The page holds no secret (the session
/// token comes by `fetch`), so compressing it beside the reflected `?appearance=` gives nothing
/// away (BREACH).
pub(crate) fn encode_page(page: Vec<u8>, accept: Option<&str>) -> (Option<&'static str>, Vec<u8>) {
    let (br, gzip) = (weight(accept, "br"), weight(accept, "gzip"));
    let encoded = if br > 0.0 && br >= gzip {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 5,
            ..Default::default()
        };
        let mut out = Vec::new();
        brotli::BrotliCompress(&mut &page[..], &mut out, &params).map(|_| ("br", out))
    } else if gzip > 0.0 {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(&page)
            .and_then(|()| encoder.finish())
            .map(|out| ("gzip", out))
    } else {
        return (None, page);
    };
    match encoded {
        Ok((coding, out)) => (Some(coding), out),
        Err(_) => (None, page),
    }
}

/// The weight (`q`, 1 when not given) `accept` gives `coding`, names and parameters compared
/// without case; 0 when it does not name it.
fn weight(accept: Option<&str>, coding: &str) -> f32 {
    accept
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut params = part.split(';');
            let name = params.next().unwrap_or_default().trim();
            if !name.eq_ignore_ascii_case(coding) {
                return None;
            }
            let q = params.find_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().unwrap_or(0.0))
            });
            Some(q.unwrap_or(1.0))
        })
        .fold(0.0, f32::max)
}

/// Whether the last segment of `path` is a trunk-hashed name: `<stem>-<hash>.<ext>` or
/// `<stem>-<hash>_bg.wasm`, the hash 8 to 16 lowercase hex digits (trunk writes a u64 in hex,
/// without leading zeros).
pub(crate) fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, after_dash)) = name.rsplit_once('-') else {
        return false;
    };
    let Some((hash, _extension)) = after_dash.split_once('.') else {
        return false;
    };
    let hash = hash.strip_suffix("_bg").unwrap_or(hash);
    (8..=16).contains(&hash.len())
        && hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_names_are_recognised() {
        for hashed in [
            "/payout-flows-3943a6dc2e20c43a.js",
            "/payout-flows-3943a6dc2e20c43a_bg.wasm",
            "/main-219c2cd45aef51e7.css",
            "/snippets/x/main-19c2cd45aef51e7.css",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/embed.js",
            "/embed.d.ts",
            "/index.html",
            "/payout-flows.js",
            "/my-file.js",
            "/main-219C2CD45AEF51E7.css",
            "/main-219c2cd45aef51e7x.css",
            "/main-219c2cd45aef51e7",
        ] {
            assert!(!is_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn only_plain_paths_name_files() {
        let assets = Assets {
            dir: PathBuf::from("/srv/dist"),
            compressing: Mutex::new(HashSet::new()),
        };
        assert_eq!(
            assets.file("/a/b.js"),
            Some(PathBuf::from("/srv/dist/a/b.js"))
        );
        for path in [
            "/",
            "/../x.js",
            "/a//b.js",
            "/%2e%2e/x",
            "/a.js.br",
            "/.a.js.br.1.tmp",
        ] {
            assert_eq!(assets.file(path), None, "{path}");
        }
    }
}
