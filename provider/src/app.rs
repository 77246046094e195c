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

use crate::server::AppState;

/// More files than this in `app_dir` is a mistake (the wrong folder).
const MAX_FILES: usize = 64;
/// A larger file is a mistake too (the wasm core is about 1 MiB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The app's files by name.
#[derive(Clone, Default)]
pub struct AppFiles {
    files: Arc<BTreeMap<String, (&'static str, Bytes)>>,
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
        if !files.contains_key("index.html") {
            anyhow::bail!("app_dir {} has no index.html", dir.display());
        }
        Ok(Self { files: Arc::new(files) })
    }

    /// Whether an app is configured.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// `GET /`: the app, if there is one.
pub async fn home(State(state): State<AppState>) -> Response {
    if state.app.is_empty() {
        return (StatusCode::NOT_FOUND, "this provider serves the storage API only").into_response();
    }
    Redirect::to("/app/index.html").into_response()
}

/// `GET /app/{name}`
pub async fn file(State(state): State<AppState>, UrlPath(name): UrlPath<String>) -> Response {
    match state.app.files.get(&name) {
        Some((kind, bytes)) => {
            let mut response = bytes.clone().into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            response
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
