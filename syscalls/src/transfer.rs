//! Copying between descriptors inside the sentry: sendfile, copy_file_range,
//! splice and tee. Data moves in chunks through a sentry buffer.

use abi::linux as l;
use sentry::Errno;
use sentry::fs::OpenFile;
use sentry::task::Task;
use sentry::waiter::events::READABLE;

use crate::args::{Args, Handler, SysResult};
use crate::blocking::io_wait;
use crate::fs::{current_pos, do_write, read_file, verify_area, write_budget};
use crate::table::Support::{self, *};

pub fn entries() -> Vec<(u32, Option<Handler>, Support)> {
    vec![
        (l::__NR_sendfile, Some(sendfile), Full),
        (l::__NR_copy_file_range, Some(copy_file_range), Full),
        (
            l::__NR_splice,
            Some(splice),
            Partial("copies the data (no page moving); SPLICE_F_NONBLOCK is honoured"),
        ),
        (l::__NR_tee, Some(tee), Full),
    ]
}

const CHUNK: usize = 64 * 1024;
const MAX_RW_COUNT: usize = 0x7fff_f000;
const SPLICE_F_NONBLOCK: u32 = 2;

/// Reads a `loff_t` argument (NULL means "use the file offset"); each call
/// checks its range as Linux does.
fn offset_arg(t: &Task, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(t.mm.read_obj(addr)?))
}

/// `verify_area` for one side of a transfer: its own offset, or the file
/// offset of a seekable file.
fn verify_side(f: &OpenFile, off: Option<i64>, len: usize) -> Result<(), Errno> {
    match off.map(|o| o as u64).or_else(|| current_pos(f)) {
        Some(pos) => verify_area(pos, len as u64),
        None => Ok(()),
    }
}

/// Moves up to `len` bytes from `input` to `output`, each at its offset (or its
/// file offset when `None`); returns the bytes moved and the offsets after.
/// A regular output file takes at most what RLIMIT_FSIZE allows: as Linux's
/// splice writes what it read, data past the limit is cut and then fails there
/// (raising SIGXFSZ), while a copy that ends below it raises nothing.
fn pump(
    t: &Task,
    input: &OpenFile,
    mut in_off: Option<u64>,
    output: &OpenFile,
    mut out_off: Option<u64>,
    len: usize,
    nonblock: bool,
) -> Result<(usize, Option<u64>, Option<u64>), Errno> {
    let budget = write_budget(t, output, out_off, len as u64)? as usize;
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0;
    while done < len {
        let mut want = (len - done).min(buf.len());
        // What a regular output cannot take stays in an input pipe.
        let cut_read = input.ops.pipe().is_some() && want > budget - done;
        if cut_read {
            want = budget - done;
        }
        let n = match (input.ops.pipe(), nonblock) {
            (Some(pipe), true) => pipe_read_nonblock(pipe, &mut buf[..want]),
            _ => read_file(t, input, &mut buf[..want], in_off),
        };
        let n = match n {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let allowed = n.min(budget - done);
        if allowed == 0 {
            // At the limit with data to write: EFBIG and SIGXFSZ.
            match write_budget(t, output, out_off, n as u64) {
                Err(e) if done == 0 => return Err(e),
                _ => break,
            }
        }
        let w = match do_write(t, output, &buf[..allowed], out_off) {
            Ok(w) => w as usize,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += w;
        in_off = in_off.map(|o| o + w as u64);
        out_off = out_off.map(|o| o + w as u64);
        if w < n && in_off.is_none() && input.ops.seekable() {
            // The input's file offset moves by what was written only.
            *input.offset.lock() -= (n - w) as u64;
        }
        let more = allowed < n || (cut_read && input.ops.pipe().is_some_and(|p| p.available() > 0));
        if w == allowed && more {
            // The rest fails at the limit (SIGXFSZ); what was written counts.
            let _ = write_budget(t, output, out_off, 1);
            break;
        }
        // Stop after one pass on streams, as Linux returns what one transfer moved.
        if w < n || input.ops.pipe().is_some() || !input.ops.seekable() {
            break;
        }
    }
    Ok((done, in_off, out_off))
}

fn pipe_read_nonblock(pipe: &sentry::fsimpl::pipe::Pipe, buf: &mut [u8]) -> Result<usize, Errno> {
    sentry::fsimpl::pipe::ReadEnd::consume(pipe, buf)
}

fn sendfile(t: &mut Task, a: &Args) -> SysResult {
    let (out, input) = (t.fds.get(a.i32(0))?, t.fds.get(a.i32(1))?);
    if !input.readable() || !out.writable() {
        return Err(Errno::EBADF);
    }
    let off = offset_arg(t, a.ptr(2))?;
    if off.is_some() && !input.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    verify_side(&input, off, a.usize(3))?;
    verify_side(&out, None, a.usize(3))?;
    let len = a.usize(3).min(MAX_RW_COUNT);
    let (n, in_off, _) = pump(t, &input, off.map(|o| o as u64), &out, None, len, false)?;
    if let Some(new) = in_off {
        t.mm.write_obj(a.ptr(2), &(new as i64))?;
    }
    Ok(n as u64)
}

fn copy_file_range(t: &mut Task, a: &Args) -> SysResult {
    let (input, output) = (t.fds.get(a.i32(0))?, t.fds.get(a.i32(2))?);
    if a.u32(5) != 0 {
        return Err(Errno::EINVAL);
    }
    if !input.readable() || !output.writable() || *output.flags.lock() & l::O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    for f in [&input, &output] {
        match f.ops.stat()?.mode & libc::S_IFMT {
            libc::S_IFREG => {}
            libc::S_IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
    }
    let (in_off, out_off) = (offset_arg(t, a.ptr(1))?, offset_arg(t, a.ptr(3))?);
    let i = in_off.unwrap_or(*input.offset.lock() as i64) as u64;
    let o = out_off.unwrap_or(*output.offset.lock() as i64) as u64;
    let len = a.usize(4) as u64;
    // Linux (generic_copy_file_checks): offsets that wrap as unsigned sums,
    // then the copy cut at the input's end, then the output's limits.
    if i.checked_add(len).is_none() || o.checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let size_in = input.ops.size()?;
    let len = if i >= size_in {
        0
    } else {
        len.min(size_in - i)
    };
    let len = copy_write_limits(t, o, len)?;
    let (in_st, out_st) = (input.ops.stat()?, output.ops.stat()?);
    if in_st.ino == out_st.ino && in_st.dev == out_st.dev && o < i + len && i < o + len {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    verify_area(i, len)?;
    verify_area(o, len)?;
    let len = (len as usize).min(MAX_RW_COUNT);
    let (n, ni, no) = pump(
        t,
        &input,
        in_off.map(|o| o as u64),
        &output,
        out_off.map(|o| o as u64),
        len,
        false,
    )?;
    finish(t, a, n, ni, no)
}

/// The output side of copy_file_range: RLIMIT_FSIZE (EFBIG with SIGXFSZ at or
/// past it) and the largest file size (i64::MAX: EFBIG there, a copy cut to
/// end at it).
fn copy_write_limits(t: &Task, pos: u64, len: u64) -> Result<u64, Errno> {
    let len = t.file_size_limit_write(pos, len)?;
    let max = i64::MAX as u64;
    if pos >= max {
        return Err(Errno::EFBIG);
    }
    Ok(len.min(max - pos))
}

/// Stores the advanced offsets (arguments 1 and 3) of copy_file_range and splice.
fn finish(t: &Task, a: &Args, n: usize, in_off: Option<u64>, out_off: Option<u64>) -> SysResult {
    if let Some(v) = in_off {
        t.mm.write_obj(a.ptr(1), &(v as i64))?;
    }
    if let Some(v) = out_off {
        t.mm.write_obj(a.ptr(3), &(v as i64))?;
    }
    Ok(n as u64)
}

fn splice(t: &mut Task, a: &Args) -> SysResult {
    let (input, output) = (t.fds.get(a.i32(0))?, t.fds.get(a.i32(2))?);
    let flags = a.u32(5);
    if !input.readable() || !output.writable() {
        return Err(Errno::EBADF);
    }
    let (in_pipe, out_pipe) = (input.ops.pipe().is_some(), output.ops.pipe().is_some());
    if !in_pipe && !out_pipe {
        return Err(Errno::EINVAL);
    }
    let (in_off, out_off) = (offset_arg(t, a.ptr(1))?, offset_arg(t, a.ptr(3))?);
    if (in_pipe && in_off.is_some()) || (out_pipe && out_off.is_some()) {
        return Err(Errno::ESPIPE);
    }
    verify_side(&input, in_off, a.usize(4))?;
    verify_side(&output, out_off, a.usize(4))?;
    let len = a.usize(4).min(MAX_RW_COUNT);
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let (n, ni, no) = pump(
        t,
        &input,
        in_off.map(|o| o as u64),
        &output,
        out_off.map(|o| o as u64),
        len,
        nonblock,
    )?;
    finish(t, a, n, ni, no)
}

fn tee(t: &mut Task, a: &Args) -> SysResult {
    let (input, output) = (t.fds.get(a.i32(0))?, t.fds.get(a.i32(1))?);
    let (Some(src), Some(_)) = (input.ops.pipe(), output.ops.pipe()) else {
        return Err(Errno::EINVAL);
    };
    if !input.readable() || !output.writable() {
        return Err(Errno::EBADF);
    }
    let len = a.usize(2).min(MAX_RW_COUNT);
    let mut buf = vec![0u8; len.min(sentry::fsimpl::pipe::MAX_CAPACITY)];
    let n = if a.u32(3) & SPLICE_F_NONBLOCK != 0 {
        src.peek(&mut buf)?
    } else {
        io_wait(t, &input, READABLE, || src.peek(&mut buf))?
    };
    do_write(t, &output, &buf[..n], None)
}
