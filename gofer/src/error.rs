//! Library errors (operations themselves fail with an `abi::Errno`).

/// A message that does not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("message ends inside a field")]
    Truncated,
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    #[error("{0} bytes after the end of the message")]
    TrailingBytes(usize),
    #[error("invalid value for {0}")]
    Invalid(&'static str),
}

/// Errors of the gofer library outside the protocol's errno replies.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("building the seccomp filter: {0}")]
    SeccompBuild(#[from] seccompiler::BackendError),
    #[error("installing the seccomp filter: {0}")]
    SeccompInstall(#[from] seccompiler::Error),
}
