//! How a process ended, and how `runsc` reports that.

use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// A process's end: its exit code, or the signal that killed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
}

impl Status {
    pub fn from_exit_status(s: ExitStatus) -> Self {
        match (s.code(), s.signal()) {
            (Some(code), _) => Status::Exited(code),
            (None, Some(sig)) => Status::Signaled(sig),
            (None, None) => unreachable!("wait() reports neither exit nor signal: {s:?}"),
        }
    }

    /// What `runsc` must exit with when the sandboxed program ends like
    /// `self`: a signal death N becomes exit code 128+N, like a shell.
    ///
    /// The mapping goes this way round because it loses nothing: a program
    /// that itself exits 139 and one killed by SIGSEGV both make runsc exit
    /// 139, so "139 means signal 11" cannot be decided from runsc's side.
    pub fn as_runsc_exit(self) -> Status {
        match self {
            Status::Signaled(n) => Status::Exited(128 + n),
            exited => exited,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Status::Exited(code) => write!(f, "exited with code {code}"),
            Status::Signaled(sig) => write!(f, "killed by signal {sig} ({})", signal_name(sig)),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn signal_death_becomes_128_plus_n() {
        assert_eq!(Status::Signaled(11).as_runsc_exit(), Status::Exited(139));
        assert_eq!(Status::Exited(3).as_runsc_exit(), Status::Exited(3));
        assert_eq!(Status::Exited(255).as_runsc_exit(), Status::Exited(255));
    }

    #[test]
    fn display_names_the_signal() {
        assert_eq!(
            Status::Signaled(11).to_string(),
            "killed by signal 11 (SIGSEGV)"
        );
        assert_eq!(Status::Exited(0).to_string(), "exited with code 0");
    }
}
