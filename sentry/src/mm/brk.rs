//! The program break.

use abi::page_up;
use platform::Prot;

use super::MemoryManager;
use super::vma::Vma;

impl MemoryManager {
    /// `brk(2)`: moves the break to `addr` if it can and returns the break in effect
    /// (the old one on failure, as Linux does).
    pub fn brk(&self, addr: u64) -> u64 {
        let mut inner = self.inner.lock();
        let cur = inner.brk;
        if addr < inner.brk_start {
            return cur;
        }
        let (Some(old_end), Some(new_end)) = (page_up(cur), page_up(addr)) else {
            return cur;
        };
        if new_end > old_end {
            if new_end > self.layout.max_addr || inner.vmas.overlaps(old_end, new_end) {
                return cur;
            }
            // Extend the heap area if there is one ending here, else start it.
            let heap_start = match inner.vmas.find(old_end - 1) {
                Some(v) if v.name == Some("[heap]") => {
                    let s = v.start;
                    inner.vmas.remove_range(s, old_end);
                    s
                }
                _ => old_end,
            };
            inner.vmas.insert(Vma::anonymous(
                heap_start,
                new_end,
                Prot::READ_WRITE,
                Some("[heap]"),
            ));
        } else if new_end < old_end {
            self.unmap_locked(&mut inner, new_end, old_end);
        }
        inner.brk = addr;
        addr
    }
}
