//! State shared by every address space and context of one ptrace platform.

use super::affinity::CpuPicker;
use super::stub_page::StubPage;
use super::stub_seccomp::{self, StubFilter};
use crate::Result;

pub(crate) struct Shared {
    pub memfd: i32,
    pub stub: &'static StubPage,
    pub filter: StubFilter,
    pub cpus: CpuPicker,
}

impl Shared {
    pub fn new(memfd: i32) -> Result<Shared> {
        let stub = StubPage::get()?;
        let filter = stub_seccomp::build(memfd, stub.syscall_return_addr())?;
        Ok(Shared {
            memfd,
            stub,
            filter,
            cpus: CpuPicker::new(),
        })
    }
}
