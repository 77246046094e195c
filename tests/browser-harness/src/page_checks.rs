//! What every page must be, checked in the browser: no sideways scrolling at phone width and at
//! 200% zoom, no axe-core violation of any impact, an outline a screen reader can use (landmarks
//! and headings), and at most one primary action.

use crate::{Client, accessibility_violations};

/// A phone's width in CSS pixels (an iPhone 12 to 15).
pub const PHONE_WIDTH: u32 = 390;

/// A 1280-pixel window at 200% zoom. Browser zoom doubles the CSS pixel, so the page is laid
/// out in a viewport of 640 CSS pixels: the same layout as a 640-pixel window at 100%.
pub const ZOOMED_WIDTH: u32 = 640;

/// The desktop width the tests otherwise use.
pub const DESKTOP_WIDTH: u32 = 1280;

/// Whether the page scrolls sideways at the window's current width.
pub async fn scrolls_sideways(client: &Client) -> bool {
    client
        .execute(
            "const d = document.documentElement; return d.scrollWidth > d.clientWidth;",
            vec![],
        )
        .await
        .unwrap()
        == serde_json::Value::Bool(true)
}

/// A page as a screen reader lists it, plus its visible primary actions.
#[derive(Debug, serde::Deserialize)]
pub struct Outline {
    /// Landmarks in document order: `banner`, `navigation`, `main`, or a labelled `region`.
    pub landmarks: Vec<String>,
    /// Headings in document order: their level and text.
    pub headings: Vec<(u8, String)>,
    /// The visible buttons and button-styled links in `main` not marked `secondary`.
    pub primary_actions: Vec<String>,
}

const OUTLINE: &str = r#"
const landmarks = [];
for (const e of document.querySelectorAll('header, nav, main, section[aria-labelledby], section[aria-label]')) {
  if (e.closest('main') && e.tagName === 'HEADER') continue;
  landmarks.push({HEADER: 'banner', NAV: 'navigation', MAIN: 'main', SECTION: 'region'}[e.tagName]);
}
const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .filter(h => h.offsetParent !== null || h.closest('details') === null)
  .map(h => [Number(h.tagName[1]), h.textContent.trim()]);
const primary = [...document.querySelectorAll('main button:not(.secondary), main a.button:not(.secondary)')]
  .filter(e => e.offsetParent !== null)
  .map(e => e.textContent.trim());
return {landmarks, headings, primary_actions: primary};
"#;

/// The page's outline.
pub async fn outline(client: &Client) -> Outline {
    serde_json::from_value(client.execute(OUTLINE, vec![]).await.unwrap()).unwrap()
}

/// What is wrong with an outline: not exactly one `main`, not exactly one `h1` as the first
/// heading, a heading level skipped, or more than one primary action.
pub fn outline_problems(outline: &Outline) -> Vec<String> {
    let mut problems = Vec::new();
    let mains = outline.landmarks.iter().filter(|l| *l == "main").count();
    if mains != 1 {
        problems.push(format!("{mains} main landmarks, not 1"));
    }
    let h1s = outline.headings.iter().filter(|(level, _)| *level == 1).count();
    if h1s != 1 || outline.headings.first().is_none_or(|(level, _)| *level != 1) {
        problems.push(format!("{h1s} h1 headings, or not first: {:?}", outline.headings));
    }
    for pair in outline.headings.windows(2) {
        if pair[1].0 > pair[0].0 + 1 {
            problems.push(format!("heading level skipped: {:?} then {:?}", pair[0], pair[1]));
        }
    }
    if outline.primary_actions.len() > 1 {
        problems.push(format!("more than one primary action: {:?}", outline.primary_actions));
    }
    problems
}

/// Every problem of the page now shown, named with `page`: axe-core violations of any impact
/// (at desktop width), the outline's problems, and sideways scrolling at [`PHONE_WIDTH`] and
/// [`ZOOMED_WIDTH`]. The window is back at its size afterwards.
pub async fn page_problems(client: &Client, page: &str) -> Vec<String> {
    let (width, height) = client.get_window_size().await.unwrap();
    let mut problems: Vec<String> = accessibility_violations(client).await;
    problems.extend(outline_problems(&outline(client).await));
    for width in [PHONE_WIDTH, ZOOMED_WIDTH] {
        client.set_window_size(width, 900).await.unwrap();
        if scrolls_sideways(client).await {
            problems.push(format!("scrolls sideways at {width} CSS pixels"));
        }
    }
    client
        .set_window_size(u32::try_from(width).unwrap_or(DESKTOP_WIDTH), u32::try_from(height).unwrap_or(900))
        .await
        .unwrap();
    problems.into_iter().map(|p| format!("{page}: {p}")).collect()
}

/// Saves a PNG of the page at `width` × `height` as `docs/NAME`, so the docs show the product
/// as the last test run saw it.
pub async fn docs_screenshot(client: &Client, width: u32, height: u32, name: &str) {
    client.set_window_size(width, height).await.unwrap();
    let png = client.screenshot().await.unwrap();
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    std::fs::write(docs.join(name), png).unwrap();
    client.set_window_size(DESKTOP_WIDTH, 900).await.unwrap();
}
