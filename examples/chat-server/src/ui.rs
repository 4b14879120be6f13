//! The web UI: static files embedded in the binary, served with strict headers.
//!
//! No build step: the browser loads the ES modules under `ui/js/` and the vendored
//! libraries under `ui/vendor/` (Preact, htm, signals; see `ui/vendor/README.md`)
//! through the import map in `ui/index.html`. The protocol client is the TypeScript
//! client's own source, `clients/js/src/*.js`, embedded from there (no copy) and
//! served under `/js/chatcore/` (`@chatcore/client` in the import map): the files the
//! client's Node tests test are the files the browser runs.
//!
//! Caching: the vendored files live in versioned directories and never change under
//! one URL, so they are `immutable`; every other file is revalidated on each load
//! (`no-cache`) against a strong `ETag`, answered with `304 Not Modified` when unchanged.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($path:literal => $ct:expr),* ; client: $($file:literal),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: $ct,
            body: include_bytes!(concat!("../ui/", $path)),
        },)* $(Asset {
            path: concat!("js/chatcore/", $file),
            content_type: JS,
            body: include_bytes!(concat!("../../../clients/js/src/", $file)),
        },)*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the UI, by path under `ui/`, then the client's modules (by file name
/// under `clients/js/src/`, served under `js/chatcore/`).
static ASSETS: &[Asset] = assets![
    "index.html" => "text/html; charset=utf-8",
    "app.css" => "text/css; charset=utf-8",
    "features.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "reads.css" => "text/css; charset=utf-8",
    "js/theme.js" => JS,
    "js/main.js" => JS,
    "js/errors.js" => JS,
    "js/lib.js" => JS,
    "js/transport/index.js" => JS,
    "js/state/store.js" => JS,
    "js/state/sync.js" => JS,
    "js/state/events.js" => JS,
    "js/state/actions.js" => JS,
    "js/state/toasts.js" => JS,
    "js/state/dialogs.js" => JS,
    "js/state/drafts.js" => JS,
    "js/state/invites.js" => JS,
    "js/state/reads.js" => JS,
    "js/state/notify.js" => JS,
    "js/state/directory.js" => JS,
    "js/state/admin.js" => JS,
    "js/dialogs/admin.js" => JS,
    "js/ui/shell.js" => JS,
    "js/ui/auth.js" => JS,
    "js/ui/sidebar.js" => JS,
    "js/ui/messages.js" => JS,
    "js/ui/composer.js" => JS,
    "js/ui/members.js" => JS,
    "js/ui/modal.js" => JS,
    "js/ui/toasts.js" => JS,
    "js/ui/common.js" => JS,
    "js/ui/icons.js" => JS,
    "js/ui/format.js" => JS,
    "js/ui/strength.js" => JS,
    "js/ui/invites.js" => JS,
    "js/ui/unread.js" => JS,
    "js/ui/reports.js" => JS,
    "js/ui/timeout.js" => JS,
    "js/state/moderation.js" => JS,
    "js/dialogs/moderation.js" => JS,
    "js/dialogs/rooms.js" => JS,
    "js/dialogs/profile.js" => JS,
    "js/dialogs/member.js" => JS,
    "js/dialogs/settings.js" => JS,
    "js/dialogs/account.js" => JS,
    "js/dialogs/notifications.js" => JS,
    "js/dialogs/room-extras.js" => JS,
    "js/transport/features.js" => JS,
    "js/state/reactions.js" => JS,
    "js/state/pins.js" => JS,
    "js/state/panel.js" => JS,
    "js/state/jump.js" => JS,
    "js/state/search.js" => JS,
    "js/ui/glyphs.js" => JS,
    "js/ui/reactions.js" => JS,
    "js/ui/pins.js" => JS,
    "js/ui/jump.js" => JS,
    "js/ui/search.js" => JS,
    "js/ui/panel.js" => JS,
    "js/state/threads.js" => JS,
    "js/ui/thread.js" => JS,
    "js/ui/guest.js" => JS,
    "vendor/preact-11.2.0/preact.mjs" => JS,
    "vendor/preact-11.2.0/hooks.mjs" => JS,
    "vendor/htm-3.1.1/htm.mjs" => JS,
    "vendor/signals-core-1.14.5/signals-core.mjs" => JS,
    "vendor/signals-2.11.4/signals.mjs" => JS;
    client:
    "index.js",
    "client.js",
    "rest.js",
    "errors.js",
    "emitter.js",
    "close-codes.js",
    "backoff.js",
    "seqs.js",
    "outbox.js",
    "typing.js",
    "history.js",
];

/// Strong validators of the assets, in `ASSETS` order.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.body);
            let tag = format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..18]));
            HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
        })
        .collect()
});

/// The inline import map of `index.html` (the text between its script tags).
fn import_map(index: &str) -> Option<&str> {
    let open = "<script type=\"importmap\">";
    let start = index.find(open)? + open.len();
    let len = index[start..].find("</script>")?;
    Some(&index[start..start + len])
}

/// The content security policy of the UI: only our own scripts (and the inline
/// import map, by its hash) and styles; images from anywhere over HTTPS (avatars);
/// connections to this origin only.
static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let index = ASSETS
        .iter()
        .find(|a| a.path == "index.html")
        .and_then(|a| std::str::from_utf8(a.body).ok())
        .unwrap_or_default();
    let map_hash = import_map(index)
        .map(|m| {
            format!(
                " 'sha256-{}'",
                STANDARD.encode(Sha256::digest(m.as_bytes()))
            )
        })
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'{map_hash}; style-src 'self'; \
         img-src 'self' https: data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// Routes: `/` and every embedded file. The files are served by the router's
/// *fallback*, not by a `/{*path}` route: a catch-all route would also match every
/// unknown `/api/...` path and shadow the API's JSON 404 and 405 answers (a nested
/// router's fallback only sees what no route of the outer router matched).
pub(crate) fn router() -> Router {
    Router::new()
        .route(
            "/",
            get(|headers: HeaderMap| async move { serve("index.html", &headers) }),
        )
        .fallback(|method: Method, uri: Uri, headers: HeaderMap| async move {
            if method == Method::GET || method == Method::HEAD {
                serve(uri.path().trim_start_matches('/'), &headers)
            } else {
                (StatusCode::NOT_FOUND, "not found").into_response()
            }
        })
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.path == path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let asset = &ASSETS[i];
    let etag = &ETAGS[i];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag.to_str().unwrap_or_default())
        });
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, etag.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if asset.path.starts_with("vendor/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if asset.content_type.starts_with("text/html") {
        h.insert(header::CONTENT_SECURITY_POLICY, CSP.clone());
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the TypeScript client's modules are served.
    const CLIENT_DIR: &str = "js/chatcore/";

    fn get(path: &str) -> Response {
        serve(path, &HeaderMap::new())
    }

    #[test]
    fn every_asset_is_served_and_unknown_paths_are_not() {
        for a in ASSETS {
            let res = get(a.path);
            assert_eq!(res.status(), StatusCode::OK, "{}", a.path);
            assert!(!a.body.is_empty(), "{} is empty", a.path);
        }
        assert_eq!(get("../Cargo.toml").status(), StatusCode::NOT_FOUND);
        assert_eq!(get("js/nope.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(get("vendor/README.md").status(), StatusCode::NOT_FOUND);
    }

    /// Every script on disk under `ui/js` and `ui/vendor` is embedded, so a new module
    /// cannot be forgotten in `ASSETS`.
    #[test]
    fn every_script_on_disk_is_an_asset() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "js" || e == "mjs") {
                    out.push(p);
                }
            }
        }
        let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
        let mut files = Vec::new();
        walk(&ui.join("js"), &mut files);
        walk(&ui.join("vendor"), &mut files);
        assert!(files.len() > 20, "found {} scripts", files.len());
        for f in files {
            let rel = f
                .strip_prefix(&ui)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            assert!(
                ASSETS.iter().any(|a| a.path == rel),
                "{rel} is not in ASSETS"
            );
        }
        let mut client = Vec::new();
        walk(&client_src(), &mut client);
        assert!(client.len() > 5, "found {} client modules", client.len());
        for f in client {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            let path = format!("{CLIENT_DIR}{}", name.unwrap_or_default());
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "{path} is not in ASSETS"
            );
        }
    }

    fn client_src() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/js/src")
    }

    /// The browser runs the client the Node tests test: every module under
    /// `/js/chatcore/` is, byte for byte, the file in `clients/js/src/` now (the
    /// embedding is of that file, not of a copy that could fall behind).
    #[test]
    fn the_served_client_is_the_tested_client() {
        let served: Vec<&Asset> = ASSETS
            .iter()
            .filter(|a| a.path.starts_with(CLIENT_DIR))
            .collect();
        assert!(served.iter().any(|a| a.path == "js/chatcore/client.js"));
        for a in served {
            let file = client_src().join(&a.path[CLIENT_DIR.len()..]);
            let on_disk = std::fs::read(&file).unwrap_or_default();
            assert!(!on_disk.is_empty(), "{} is missing", file.display());
            assert!(
                a.body == on_disk.as_slice(),
                "{} differs from {}",
                a.path,
                file.display()
            );
            let res = get(a.path);
            assert_eq!(res.status(), StatusCode::OK, "{}", a.path);
            assert_eq!(
                res.headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some(JS)
            );
        }
        let index = std::str::from_utf8(get_body("index.html")).unwrap_or_default();
        let map: serde_json::Value =
            serde_json::from_str(import_map(index).unwrap_or("{}")).unwrap_or_default();
        assert_eq!(map["imports"]["@chatcore/client"], "/js/chatcore/index.js");
    }

    /// Every file a module imports (relative paths, and the import map's targets) is
    /// served.
    #[test]
    fn every_import_resolves_to_an_asset() {
        let served = |p: &str| ASSETS.iter().any(|a| a.path == p);
        let index = std::str::from_utf8(get_body("index.html")).unwrap_or_default();
        let map: serde_json::Value =
            serde_json::from_str(import_map(index).unwrap_or("{}")).unwrap_or_default();
        let targets = map["imports"].as_object().cloned().unwrap_or_default();
        assert!(
            targets.contains_key("preact"),
            "the import map names preact"
        );
        for (name, url) in &targets {
            let url = url.as_str().unwrap_or_default();
            assert!(
                served(url.trim_start_matches('/')),
                "import map {name} -> {url}"
            );
        }
        for a in ASSETS.iter().filter(|a| a.path.starts_with("js/")) {
            let src = std::str::from_utf8(a.body).unwrap_or_default();
            let dir = a.path.rsplit_once('/').map_or("", |(d, _)| d);
            for spec in src
                .split("from \"")
                .skip(1)
                .filter_map(|s| s.split('"').next())
            {
                if !spec.starts_with('.') {
                    assert!(
                        targets.contains_key(spec),
                        "{}: {spec} is not in the import map",
                        a.path
                    );
                    continue;
                }
                let mut parts: Vec<&str> = dir.split('/').collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let path = parts.join("/");
                assert!(
                    served(&path),
                    "{} imports {spec}, which is not served",
                    a.path
                );
            }
        }
    }

    fn get_body(path: &str) -> &'static [u8] {
        ASSETS
            .iter()
            .find(|a| a.path == path)
            .map_or(&[], |a| a.body)
    }

    #[test]
    fn index_has_a_content_security_policy_allowing_only_its_import_map() {
        let res = get("index.html");
        let csp = res
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(csp.contains("script-src 'self' 'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let index = std::str::from_utf8(get_body("index.html")).unwrap_or_default();
        let map = import_map(index).unwrap_or_default();
        let hash = STANDARD.encode(Sha256::digest(map.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    }

    #[test]
    fn vendored_files_are_immutable_and_the_rest_revalidates() {
        let cache = |p: &str| {
            get(p)
                .headers()
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(cache("vendor/preact-11.2.0/preact.mjs").contains("immutable"));
        assert_eq!(cache("js/main.js"), "no-cache");
        assert_eq!(cache("index.html"), "no-cache");
    }

    #[test]
    fn a_matching_etag_gets_not_modified() {
        let first = get("js/main.js");
        let etag = first.headers().get(header::ETAG).cloned();
        let Some(etag) = etag else {
            panic!("no ETag");
        };
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, etag.clone());
        let again = serve("js/main.js", &req);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers().get(header::ETAG), Some(&etag));
        req.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(serve("js/main.js", &req).status(), StatusCode::OK);
        assert_ne!(get("js/lib.js").headers().get(header::ETAG), Some(&etag));
    }
}
