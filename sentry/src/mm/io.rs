//! Copying to and from application memory: checked against the areas' protection,
//! `EFAULT` for anything the application could not access itself.

use abi::Errno;
use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::MemoryManager;
use super::pma::Pma;
use crate::memfile::MemoryFile;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    Read,
    Write,
    /// The loader filling read-only segments: no protection check.
    Force,
}

/// `[start, end)` widened to whole pages (inside the area, which is page aligned).
fn whole_pages(start: u64, end: u64) -> (u64, u64) {
    (abi::page_down(start), abi::page_up(end).unwrap_or(end))
}

impl MemoryManager {
    /// Linux's `access_ok`: `[addr, addr+len)` lies below the user address
    /// limit. Calls that work on a buffer piece by piece check the whole of it
    /// first, as Linux does, so a buffer that runs past the end of the address
    /// space is EFAULT before any of it is touched.
    pub fn access_ok(&self, addr: u64, len: u64) -> Result<(), Errno> {
        match addr.checked_add(len) {
            Some(end) if end <= super::TASK_SIZE_MAX => Ok(()),
            _ => Err(Errno::EFAULT),
        }
    }

    /// Calls `f(offset_in_range, piece)` for each populated piece of `[addr, addr+len)`,
    /// populating as needed.
    pub(super) fn for_each_piece(
        &self,
        addr: u64,
        len: usize,
        need: Need,
        mut f: impl FnMut(usize, Pma),
    ) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr
            .checked_add(len as u64)
            .filter(|&e| e <= self.layout.max_addr)
            .ok_or(Errno::EFAULT)?;
        let mut inner = self.inner.lock();
        let mut at = addr;
        while at < end {
            let vma = inner.find_or_grow(at).ok_or(Errno::EFAULT)?;
            let allowed = match need {
                Need::Read => vma.prot.read || vma.prot.write || vma.prot.exec,
                Need::Write => vma.prot.write,
                Need::Force => true,
            };
            if !allowed {
                return Err(Errno::EFAULT);
            }
            let piece_end = end.min(vma.end);
            self.populate(&mut inner, &vma, at, piece_end)
                .map_err(|_| Errno::EFAULT)?;
            if need != Need::Read && self.break_cow(&mut inner, at, piece_end)? {
                // The application must see the copies the sentry writes into.
                let (s, e) = whole_pages(at, piece_end);
                self.platform_map(&inner, s, e, vma.prot)?;
            }
            for p in inner.pmas.pieces(at, piece_end) {
                f((p.start - addr) as usize, p);
            }
            at = piece_end;
        }
        Ok(())
    }

    /// Checks that `[addr, addr+len)` could be written by the application, without
    /// touching it (so a stream is not read into a buffer that then faults).
    pub fn check_writable(&self, addr: u64, len: usize) -> Result<(), Errno> {
        let end = addr
            .checked_add(len as u64)
            .filter(|&e| e <= self.layout.max_addr)
            .ok_or(Errno::EFAULT)?;
        let mut inner = self.inner.lock();
        let mut at = addr;
        while at < end {
            let vma = inner.find_or_grow(at).ok_or(Errno::EFAULT)?;
            if !vma.prot.write {
                return Err(Errno::EFAULT);
            }
            at = vma.end;
        }
        Ok(())
    }

    /// Copies application memory at `addr` into `buf`.
    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let memfile = self.memfile.clone();
        self.for_each_piece(addr, buf.len(), Need::Read, |off, p| {
            memfile.read(p.offset, &mut buf[off..off + (p.end - p.start) as usize])
        })
    }

    /// Copies `data` to application memory at `addr`.
    pub fn copy_out(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.write_pieces(addr, data, Need::Write)
    }

    /// Writes `data` whatever the protection (the loader filling segments and stacks).
    pub fn copy_out_force(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.write_pieces(addr, data, Need::Force)
    }

    fn write_pieces(&self, addr: u64, data: &[u8], need: Need) -> Result<(), Errno> {
        let memfile = self.memfile.clone();
        self.for_each_piece(addr, data.len(), need, |off, p| {
            memfile.write(p.offset, &data[off..off + (p.end - p.start) as usize])
        })
    }

    /// Fills application memory at `[addr, addr+len)` piece by piece with
    /// `fill(memory_file, memfile_offset, piece_len, offset_in_range)`, which
    /// returns how much it wrote; stops at the first short piece. The pages stay
    /// put while `fill` runs (the MM lock is held). Returns the bytes filled.
    pub fn fill_user(
        &self,
        addr: u64,
        len: usize,
        mut fill: impl FnMut(&MemoryFile, u64, usize, usize) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        self.access_ok(addr, len as u64)?;
        // Past the last area (or `max_addr`) the walk below finds no area: a
        // short count after some data, as on Linux.
        let end = addr + len as u64;
        let mut inner = self.inner.lock();
        let mut at = addr;
        let mut done = 0;
        while at < end {
            // A fault after some data is a short read, as on Linux.
            let fault = |done: usize| {
                if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EFAULT)
                }
            };
            let Some(vma) = inner.find_or_grow(at).filter(|v| v.prot.write) else {
                return fault(done);
            };
            let piece_end = end.min(vma.end);
            if self.populate(&mut inner, &vma, at, piece_end).is_err() {
                return fault(done);
            }
            match self.break_cow(&mut inner, at, piece_end) {
                Ok(false) => {}
                Ok(true) => {
                    let (s, e) = whole_pages(at, piece_end);
                    if self.platform_map(&inner, s, e, vma.prot).is_err() {
                        return fault(done);
                    }
                }
                Err(_) => return fault(done),
            }
            for p in inner.pmas.pieces(at, piece_end) {
                let want = (p.end - p.start) as usize;
                let n = match fill(&self.memfile, p.offset, want, done) {
                    Ok(n) => n,
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => return Ok(done),
                };
                done += n;
                if n < want {
                    return Ok(done);
                }
            }
            at = piece_end;
        }
        Ok(done)
    }

    /// Reads a plain-data object.
    pub fn read_obj<T: FromBytes + IntoBytes>(&self, addr: u64) -> Result<T, Errno> {
        let mut v = T::new_zeroed();
        self.copy_in(addr, v.as_mut_bytes())?;
        Ok(v)
    }

    /// Writes a plain-data object.
    pub fn write_obj<T: IntoBytes + Immutable + ?Sized>(
        &self,
        addr: u64,
        v: &T,
    ) -> Result<(), Errno> {
        self.copy_out(addr, v.as_bytes())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    /// `ENAMETOOLONG` when longer, `EFAULT` when it runs into inaccessible memory.
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            // Read up to the end of the page so an inaccessible next page is not touched.
            let chunk = (abi::PAGE_SIZE - (at % abi::PAGE_SIZE)) as usize;
            let mut buf = vec![0u8; chunk];
            self.copy_in(at, &mut buf)?;
            if let Some(nul) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..nul]);
                return if out.len() > max {
                    Err(Errno::ENAMETOOLONG)
                } else {
                    Ok(out)
                };
            }
            out.extend_from_slice(&buf);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG);
            }
            at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
        }
    }
}
