//! The credentials the command line presents to a running server's management API: the
//! token in `BATON_TOKEN`, else the user `BATON_USER` with the password in `BATON_PASSWORD`.
//! What the variables leave out is asked for on the terminal; without a terminal to ask on,
//! the command fails before calling the server, saying which variables to set.

use std::io::{BufRead, IsTerminal, Write};

use crate::auth::Presented;

/// Why the command line has no credentials to present.
#[derive(Debug, thiserror::Error)]
pub(super) enum LoginError {
    #[error(
        "no credentials for the management API: set BATON_TOKEN, or BATON_USER and \
         BATON_PASSWORD (there is no terminal to ask for them)"
    )]
    NoCredentials,
    #[error("BATON_USER is set but not BATON_PASSWORD, and there is no terminal to ask")]
    NoPassword,
    #[error("no user name given")]
    NoUser,
    #[error("cannot read from the terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// The credentials to present: `BATON_TOKEN`, else `BATON_USER` with `BATON_PASSWORD`;
/// the user name and the password are asked for on the terminal when unset.
pub(super) fn credentials() -> Result<Presented, LoginError> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    if let Some(token) = variable("BATON_TOKEN") {
        return Ok(Presented::Bearer(token));
    }
    let terminal = std::io::stdin().is_terminal();
    let user = match variable("BATON_USER") {
        Some(user) => user,
        None if terminal => ask_user()?,
        None => return Err(LoginError::NoCredentials),
    };
    let password = match std::env::var("BATON_PASSWORD") {
        Ok(password) => password,
        Err(_) if terminal => rpassword::prompt_password(format!("Password of {user}: "))?,
        Err(_) => return Err(LoginError::NoPassword),
    };
    Ok(Presented::Basic { user, password })
}

/// A user name typed on the terminal.
fn ask_user() -> Result<String, LoginError> {
    let mut prompt = std::io::stderr().lock();
    write!(prompt, "User: ")?;
    prompt.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let user = line.trim();
    if user.is_empty() {
        return Err(LoginError::NoUser);
    }
    Ok(user.to_owned())
}
