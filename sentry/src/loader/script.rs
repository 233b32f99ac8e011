//! `#!` interpreter lines.

use abi::Errno;

/// Parses `#!interpreter [arg]` from the first bytes of a file. The argument is
/// everything after the interpreter up to the end of the line, trimmed, as one word.
pub fn parse(header: &[u8]) -> Result<(String, Option<String>), Errno> {
    let body = &header[2..];
    // A line longer than the header: the interpreter may be cut off, which Linux
    // refuses (it accepts a cut-off argument only after the interpreter ended).
    let line = match body.iter().position(|&b| b == b'\n') {
        Some(end) => &body[..end],
        None => body,
    };
    let text = String::from_utf8_lossy(line);
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    let mut parts = text.splitn(2, [' ', '\t']);
    let interp = parts.next().unwrap_or("").to_string();
    if interp.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    if !body.contains(&b'\n') && !text.contains([' ', '\t']) && header.len() == super::HEADER_BYTES
    {
        return Err(Errno::ENOEXEC);
    }
    let arg = parts
        .next()
        .map(|a| a.trim_matches(|c| c == ' ' || c == '\t').to_string())
        .filter(|a| !a.is_empty());
    Ok((interp, arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_and_argument() {
        assert_eq!(parse(b"#!/bin/sh\necho").unwrap(), ("/bin/sh".into(), None));
        assert_eq!(
            parse(b"#! /usr/bin/env  python3 -u \n").unwrap(),
            ("/usr/bin/env".into(), Some("python3 -u".into()))
        );
        assert_eq!(parse(b"#!\n").unwrap_err(), Errno::ENOEXEC);
    }
}
