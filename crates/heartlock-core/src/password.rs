//! Passwords: argon2id hashes with OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane) and a strength policy.
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {MIN_PASSWORD_LEN} characters long")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_LEN} characters long")]
    TooLong,
    #[error("password is too common or too easy to guess{0}")]
    TooWeak(String),
    #[error("password hashing failed")]
    Hashing,
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|_| PasswordError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks length and guessability (zxcvbn's dictionaries of common
/// passwords, names and patterns). `user_inputs` are words the password
/// must not be built from, such as the user's email.
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong);
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(estimate.score()) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        return Err(PasswordError::TooWeak(hint));
    }
    Ok(())
}

/// A PHC-format argon2id hash with a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// Verifies a password against a stored hash; a malformed hash is a mismatch.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    hasher()
        .map(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that response
/// time does not reveal which emails have accounts.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("dummy password for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_argon2id() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("correct horse battery stapl", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn policy_rejects_short_and_common_passwords() {
        assert_eq!(check_policy("short", &[]), Err(PasswordError::TooShort));
        assert!(matches!(
            check_policy("password1234", &[]),
            Err(PasswordError::TooWeak(_))
        ));
        assert!(matches!(
            check_policy("qwertyuiop123", &[]),
            Err(PasswordError::TooWeak(_))
        ));
        assert!(check_policy("correct horse battery staple", &[]).is_ok());
        assert!(matches!(
            check_policy("alice.smith@example.com", &["alice.smith@example.com"]),
            Err(PasswordError::TooWeak(_))
        ));
    }
}
