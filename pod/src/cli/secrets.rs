//! Where the CLI gets secrets: an environment variable (for scripts), else a prompt on the
//! terminal. Secrets never come from command-line arguments, which other users can see.

use age::secrecy::{ExposeSecret, SecretString};

/// The current passphrase: `POD_PASSPHRASE`, else a prompt.
pub fn passphrase() -> anyhow::Result<SecretString> {
    from_env_or_prompt("POD_PASSPHRASE", "Passphrase: ", false)
}

/// A passphrase being chosen: `env`, else a prompt with confirmation.
pub fn new_passphrase(env: &str) -> anyhow::Result<SecretString> {
    from_env_or_prompt(env, "New passphrase (at least 12 characters): ", true)
}

/// A recovery code: `POD_RECOVERY_CODE`, else a prompt.
pub fn recovery_code() -> anyhow::Result<SecretString> {
    from_env_or_prompt("POD_RECOVERY_CODE", "Recovery code: ", false)
}

fn from_env_or_prompt(env: &str, prompt: &str, confirm: bool) -> anyhow::Result<SecretString> {
    if let Ok(value) = std::env::var(env) {
        return Ok(SecretString::from(value));
    }
    let ask = |text: &str| {
        rpassword::prompt_password(text)
            .map_err(|e| anyhow::anyhow!("cannot ask for a secret ({e}); run in a terminal or set {env}"))
    };
    let first = SecretString::from(ask(prompt)?);
    if confirm {
        let second = SecretString::from(ask("Repeat it: ")?);
        if first.expose_secret() != second.expose_secret() {
            anyhow::bail!("the two entries differ; nothing was changed");
        }
    }
    Ok(first)
}

/// Asks the citizen to type `word` to confirm a destructive action, unless `yes` was given.
pub fn confirm(question: &str, word: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{question} Refusing without confirmation: run in a terminal, or pass --yes");
    }
    eprint!("{question} Type '{word}' to confirm: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != word {
        anyhow::bail!("not confirmed; nothing was changed");
    }
    Ok(())
}
