//! Signals as users name them on the command line: `KILL`, `SIGKILL`, `9`,
//! `SIGRTMIN+2`.

use std::str::FromStr;

use anyhow::bail;
use nix::sys::signal::Signal;

const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// The signal number `name` means, or runc's "invalid signal" error.
pub fn parse(name: &str) -> anyhow::Result<i32> {
    let bad = || anyhow::anyhow!("invalid signal: {name}");
    if let Ok(n) = name.parse::<i32>() {
        return if (1..=SIGRTMAX).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        };
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(rt) = realtime(bare) {
        return rt.ok_or_else(bad);
    }
    match Signal::from_str(&format!("SIG{bare}")) {
        Ok(s) => Ok(s as i32),
        Err(_) => bail!(bad()),
    }
}

/// `RTMIN`, `RTMIN+N`, `RTMAX`, `RTMAX-N`: `None` when not spelled so.
fn realtime(bare: &str) -> Option<Option<i32>> {
    let (base, rest, sign) = if let Some(r) = bare.strip_prefix("RTMIN") {
        (SIGRTMIN, r, 1)
    } else if let Some(r) = bare.strip_prefix("RTMAX") {
        (SIGRTMAX, r, -1)
    } else {
        return None;
    };
    let offset = match rest {
        "" => 0,
        r if (sign > 0 && r.starts_with('+')) || (sign < 0 && r.starts_with('-')) => {
            match r[1..].parse::<i32>() {
                Ok(n) => n,
                Err(_) => return Some(None),
            }
        }
        _ => return Some(None),
    };
    let n = base + sign * offset;
    Some((SIGRTMIN..=SIGRTMAX).contains(&n).then_some(n))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn names_and_numbers() {
        assert_eq!(parse("KILL").unwrap(), 9);
        assert_eq!(parse("SIGTERM").unwrap(), 15);
        assert_eq!(parse("sigusr1").unwrap(), 10);
        assert_eq!(parse("2").unwrap(), 2);
        assert_eq!(parse("RTMIN+2").unwrap(), 36);
        assert_eq!(parse("SIGRTMAX").unwrap(), 64);
        assert_eq!(parse("SIGRTMAX-1").unwrap(), 63);
        for bad in ["0", "65", "-1", "FOO", "SIGRTMIN+40", "RTMINx", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
