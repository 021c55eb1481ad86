//! Opaque page tokens: an offset, signed with the emulator's salt so a forged one is refused.

use crate::server::state::Shared;

pub(super) fn page_token(shared: &Shared, account: &str, offset: usize) -> String {
    let mut h = shared.token_salt ^ 0xcbf2_9ce4_8422_2325;
    for b in account.bytes().chain((offset as u64).to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("PA{offset:x}-{:08x}", h as u32)
}

pub(super) fn read_token(shared: &Shared, account: &str, token: &str) -> Option<usize> {
    let rest = token.strip_prefix("PA")?;
    let (off, _) = rest.split_once('-')?;
    let offset = usize::from_str_radix(off, 16).ok()?;
    (page_token(shared, account, offset) == token).then_some(offset)
}
