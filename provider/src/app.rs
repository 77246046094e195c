//! The browser app: a fixed set of files, read once at start from `app_dir` and served at
//! `/app/`. Everything that needs a key runs there, in the citizen's browser; the provider only
//! hands the files out. Changing the app means restarting the server with the new files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// More files than this in `app_dir` is a mistake (the wrong folder).
const MAX_FILES: usize = 64;
/// A larger file is a mistake too (the wasm core is about 1 MiB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The app's files by name.
#[derive(Clone, Default)]
pub struct AppFiles {
    files: Arc<BTreeMap<String, (&'static str, Bytes)>>,
    inline_script_hashes: Vec<String>,
}

fn mime(name: &str) -> Option<&'static str> {
    Some(match name.rsplit_once('.')?.1 {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

impl AppFiles {
    /// Reads every file of `dir` (not its subfolders). Files of an unknown type are refused, so
    /// nothing is served with a type a browser might guess.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut files = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot read app_dir {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().into_string().map_err(|n| anyhow::anyhow!("{n:?} is not a UTF-8 file name"))?;
            let Some(kind) = mime(&name) else {
                anyhow::bail!("app_dir holds {name}, of a type the provider does not serve; remove it");
            };
            if entry.metadata()?.len() > MAX_FILE_BYTES {
                anyhow::bail!("app_dir holds {name}, larger than {MAX_FILE_BYTES} bytes");
            }
            files.insert(name, (kind, Bytes::from(std::fs::read(entry.path())?)));
            if files.len() > MAX_FILES {
                anyhow::bail!("app_dir holds more than {MAX_FILES} files; is it the right folder?");
            }
        }
        let Some((_, index)) = files.get("index.html") else {
            anyhow::bail!("app_dir {} has no index.html", dir.display());
        };
        let inline_script_hashes = import_map_hashes(index);
        Ok(Self {
            files: Arc::new(files),
            inline_script_hashes,
        })
    }

    /// CSP sources for the app's one kind of inline script, its import map (which carries the
    /// modules' integrity and cannot be an external file): `'sha256-…'` of each.
    pub fn inline_script_hashes(&self) -> &[String] {
        &self.inline_script_hashes
    }

    /// Whether an app is configured.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The CSP hash of every `<script type="importmap">` in `index`.
fn import_map_hashes(index: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    use sha2::Digest;
    const OPEN: &str = "<script type=\"importmap\">";
    let text = String::from_utf8_lossy(index);
    let mut hashes = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find("</script>") else { break };
        let digest = sha2::Sha256::digest(&after.as_bytes()[..end]);
        hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        rest = &after[end..];
    }
    hashes
}

/// `GET /`: the app, if there is one.
pub async fn home(State(app): State<AppFiles>) -> Response {
    if app.is_empty() {
        return (StatusCode::NOT_FOUND, "this provider serves the storage API only").into_response();
    }
    Redirect::to("/app/index.html").into_response()
}

/// `GET /app/{name}`
pub async fn file(State(app): State<AppFiles>, UrlPath(name): UrlPath<String>) -> Response {
    match app.files.get(&name) {
        Some((kind, bytes)) => {
            let mut response = bytes.clone().into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            response
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_maps_are_hashed_for_the_csp() {
        let index = b"<html><script type=\"importmap\">{\"integrity\":{}}</script><script src=x></script></html>";
        let hashes = import_map_hashes(index);
        assert_eq!(hashes.len(), 1);
        // echo -n '{"integrity":{}}' | openssl dgst -sha256 -binary | base64
        assert_eq!(hashes[0], "'sha256-v1IUEqDyKCfHdg2mkshdZlh1JwxKZIMqsI0JxkeP1Qo='");
        assert!(import_map_hashes(b"<html>no map</html>").is_empty());
    }
}
