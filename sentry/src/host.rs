//! Small wrappers around host calls the sentry makes for itself.

/// Random bytes from the host (`getrandom(2)`), for ASLR, AT_RANDOM and `getrandom`.
pub fn random_bytes(buf: &mut [u8], flags: u32) -> Result<usize, abi::Errno> {
    // SAFETY: getrandom writes at most buf.len() bytes into the live buffer.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        return Err(abi::Errno(nix::errno::Errno::last_raw() as u16));
    }
    Ok(n as usize)
}

pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = random_bytes(&mut b, 0);
    u64::from_le_bytes(b)
}
