//! The keyboard alone, as a citizen without a mouse uses a page: Tab, Shift-Tab, Enter and
//! Space to move and act, and typing only into the field that has focus. Every key goes through
//! WebDriver's input actions, so the page receives real key events, never a scripted click.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use crate::{Client, body_text};

/// A Chrome DevTools command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.command, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Gives the page the focus a citizen's window has. Headless Chromium's window never has the
/// system's focus, so without this no element would ever match `:focus-visible` and the focus
/// ring could not be checked.
pub async fn focus_the_window(client: &Client) {
    client
        .issue_cmd(DevTools {
            command: "Emulation.setFocusEmulationEnabled",
            params: serde_json::json!({ "enabled": true }),
        })
        .await
        .unwrap();
}

/// The most Tab presses [`tab_to`] tries before it gives up: more than any page of ours has
/// stops, so reaching it means the element cannot be reached by keyboard.
pub const MOST_TABS: usize = 60;

async fn keys(client: &Client, actions: Vec<KeyAction>) {
    let sequence = actions
        .into_iter()
        .fold(KeyActions::new("keyboard".to_owned()), |keys, action| keys.then(action));
    client.perform_actions(sequence).await.unwrap();
}

/// Presses and releases `key`.
pub async fn press(client: &Client, key: Key) {
    let value = char::from(key);
    keys(client, vec![KeyAction::Down { value }, KeyAction::Up { value }]).await;
}

/// Shift-Tab: focus moves back.
pub async fn shift_tab(client: &Client) {
    let (shift, tab) = (char::from(Key::Shift), char::from(Key::Tab));
    keys(
        client,
        vec![
            KeyAction::Down { value: shift },
            KeyAction::Down { value: tab },
            KeyAction::Up { value: tab },
            KeyAction::Up { value: shift },
        ],
    )
    .await;
}

/// Types `text` into whatever has focus.
pub async fn type_text(client: &Client, text: &str) {
    let actions = text
        .chars()
        .flat_map(|value| [KeyAction::Down { value }, KeyAction::Up { value }])
        .collect();
    keys(client, actions).await;
}

/// Whether the focused element matches `css`, and shows that it has focus (`:focus-visible`).
async fn focus_is_on(client: &Client, css: &str) -> (bool, bool) {
    let answer = client
        .execute(
            "const e = document.activeElement; return e ? [e.matches(arguments[0]), e.matches(':focus-visible')] : [false, false];",
            vec![serde_json::Value::String(css.to_owned())],
        )
        .await;
    match answer {
        Ok(serde_json::Value::Array(pair)) => (pair[0] == true, pair.get(1) == Some(&serde_json::Value::Bool(true))),
        // Mid-navigation the page may not answer: not there yet.
        _ => (false, false),
    }
}

/// Presses Tab (or Shift-Tab when `back`) until the element `css` has focus, and checks that
/// the focus is visible there; returns how many presses it took. Panics when the element cannot
/// be reached within [`MOST_TABS`] presses.
pub async fn move_focus_to(client: &Client, css: &str, back: bool) -> usize {
    for presses in 0..=MOST_TABS {
        let (there, visible) = focus_is_on(client, css).await;
        if there {
            assert!(visible, "{css} has focus but does not show it");
            return presses;
        }
        if back {
            shift_tab(client).await;
        } else {
            press(client, Key::Tab).await;
        }
    }
    panic!("{css} cannot be reached with the keyboard; the page shows:\n{}", body_text(client).await);
}

/// Tabs forward to `css`; see [`move_focus_to`].
pub async fn tab_to(client: &Client, css: &str) -> usize {
    move_focus_to(client, css, false).await
}

/// Waits until the page has an element `css` (after a navigation the keyboard caused).
pub async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} appeared ({e})"));
}
