//! "No record twice": the record SIDs of the page being read and of the last few pages, in
//! one map, so that each record costs one lookup.
//!
//! A SID is `XX` + 32 hex digits: its 34 bytes are its own key, kept inline (compared exactly,
//! never reduced to a digest two SIDs could share), and the map's hasher (foldhash, seeded per
//! process, so a server cannot aim SIDs at one bucket) only spreads them over the buckets;
//! anything else a server sends as a SID is kept as its exact text. Each key maps to the last
//! page it was seen on, so the window check is a comparison, not a lookup per remembered page.
//! Keys that left the window are swept out every few pages in one pass over the map (no
//! second lookup per record), and a page read part-way is taken back exactly.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

use foldhash::fast::RandomState;

/// A record's identity: the SID's exact bytes, inline when it has a SID's length.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// A SID's length (`XX` + 32 hex digits): its bytes as they are, no allocation.
    Sid([u8; 34]),
    /// Anything else.
    Text(Box<str>),
}

impl Key {
    #[inline]
    fn of(sid: &str) -> Key {
        match <[u8; 34]>::try_from(sid.as_bytes()) {
            Ok(bytes) => Key::Sid(bytes),
            Err(_) => Key::Text(sid.into()),
        }
    }
}

impl Hash for Key {
    /// A SID's 32 digits as two 128-bit words (the hasher folds each in one multiply); its
    /// two-letter prefix takes part in equality only.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Key::Sid(bytes) => {
                let digits = bytes.last_chunk::<32>();
                let lo = digits.and_then(|d| d.first_chunk::<16>());
                let hi = digits.and_then(|d| d.last_chunk::<16>());
                state.write_u128(lo.map_or(0, |w| u128::from_le_bytes(*w)));
                state.write_u128(hi.map_or(0, |w| u128::from_le_bytes(*w)));
            }
            Key::Text(text) => text.hash(state),
        }
    }
}

/// The SIDs of the page being read and of the last `pages` pages.
#[derive(Debug)]
pub(crate) struct Window {
    pages: usize,
    /// The number of the page being read (the first is 1).
    page: u64,
    /// Each key, and the last page it was on (keys that left the window stay until the
    /// next sweep, and count as unseen).
    last_seen: HashMap<Key, u64, RandomState>,
    /// The keys the page being read added or moved, with the page each was on before (0:
    /// none), to take the page back exactly.
    current: Vec<(Key, u64)>,
    /// The page after whose end the map is next swept.
    sweep_after: u64,
}

impl Window {
    /// A window of the page being read and the `pages` before it.
    pub(crate) fn new(pages: usize) -> Self {
        Window {
            pages,
            page: 0,
            last_seen: HashMap::default(),
            current: Vec::new(),
            sweep_after: pages.max(1) as u64,
        }
    }

    /// Starts reading the next page (`expected`: about how many records it holds).
    pub(crate) fn begin(&mut self, expected: usize) {
        self.page += 1;
        self.last_seen.reserve(expected);
        self.current.clear();
        self.current.reserve(expected);
    }

    /// Whether `sid` was already on this page or one of the remembered ones (a repeat); it is
    /// remembered as on this page either way.
    pub(crate) fn repeated(&mut self, sid: &str) -> bool {
        let page = self.page;
        let oldest = page.saturating_sub(self.pages as u64);
        // One hash per record: the entry is found (or made) once.
        let (key, before) = match self.last_seen.entry(Key::of(sid)) {
            Entry::Occupied(mut e) => {
                if *e.get() == page {
                    return true;
                }
                let before = std::mem::replace(e.get_mut(), page);
                (e.key().clone(), before)
            }
            Entry::Vacant(e) => {
                let key = e.key().clone();
                e.insert(page);
                (key, 0)
            }
        };
        self.current.push((key, before));
        before != 0 && before >= oldest
    }

    /// The page was read to its end: it joins the window, and the oldest page leaves it.
    /// Every `pages` pages, the keys that left the window are swept out of the map, so it
    /// holds at most about twice the window's keys.
    pub(crate) fn end(&mut self) {
        self.current.clear();
        if self.page >= self.sweep_after {
            // The next page's window starts at `page + 1 - pages`.
            let first = (self.page + 1).saturating_sub(self.pages as u64);
            self.last_seen.retain(|_, seen| *seen >= first);
            self.sweep_after = self.page + self.pages.max(1) as u64;
        }
    }

    /// The page was not read to its end (it will be fetched again): what it added is taken
    /// back.
    pub(crate) fn abandon(&mut self) {
        for (key, before) in self.current.drain(..).rev() {
            if before == 0 {
                self.last_seen.remove(&key);
            } else if let Some(seen) = self.last_seen.get_mut(&key) {
                *seen = before;
            }
        }
        self.page = self.page.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(n: u32) -> String {
        format!("CN{n:032x}")
    }

    fn page(w: &mut Window, sids: &[String]) -> Vec<bool> {
        w.begin(sids.len());
        let out = sids.iter().map(|s| w.repeated(s)).collect();
        w.end();
        out
    }

    #[test]
    fn repeats_on_the_page_and_in_the_window_and_not_beyond() {
        let mut w = Window::new(2);
        assert_eq!(
            page(&mut w, &[sid(1), sid(2), sid(1)]),
            [false, false, true]
        );
        assert_eq!(page(&mut w, &[sid(2), sid(3)]), [true, false]);
        assert_eq!(page(&mut w, &[sid(4)]), [false]);
        // sid(1) was last on page 1, out of the window (pages 2 and 3) now.
        assert_eq!(
            page(&mut w, &[sid(1), sid(2)]),
            [false, true],
            "2 was refreshed on page 2"
        );
        assert!(w.last_seen.len() <= 4, "what left the window is forgotten");
    }

    #[test]
    fn the_map_stays_about_twice_the_window() {
        let mut w = Window::new(3);
        for p in 0..50u32 {
            let sids: Vec<String> = (0..10).map(|i| sid(p * 10 + i)).collect();
            assert!(page(&mut w, &sids).iter().all(|r| !r));
            assert!(
                w.last_seen.len() <= 2 * 3 * 10 + 10,
                "{}",
                w.last_seen.len()
            );
        }
        // A SID last seen four pages ago is out of the window (3 pages before this one).
        w.begin(2);
        assert!(
            !w.repeated(&sid(45 * 10)),
            "page 46 of 50: out of the window"
        );
        assert!(w.repeated(&sid(47 * 10)), "page 48: in the window");
    }

    #[test]
    fn sids_are_compared_exactly_whatever_their_shape() {
        let mut w = Window::new(4);
        let upper = "CN0000000000000000000000000000000A".to_string();
        let lower = "CN0000000000000000000000000000000a".to_string();
        assert_eq!(
            page(
                &mut w,
                &[upper.clone(), lower.clone(), "x".into(), "x".into(), upper]
            ),
            [false, false, false, true, true]
        );
        assert!(matches!(Key::of(&lower), Key::Sid(..)));
        assert!(matches!(Key::of("CNshort"), Key::Text(_)));
        assert_ne!(Key::of(&sid(7)), Key::of(&format!("AC{:032x}", 7)));
    }

    #[test]
    fn an_abandoned_page_is_taken_back_exactly() {
        let mut w = Window::new(4);
        assert_eq!(page(&mut w, &[sid(1)]), [false]);
        w.begin(3);
        assert!(!w.repeated(&sid(2)));
        assert!(w.repeated(&sid(1)), "on the page before");
        w.abandon();
        // Read again: the same answers, sid(1) still seen on page 1.
        assert_eq!(page(&mut w, &[sid(2), sid(1), sid(2)]), [false, true, true]);
        assert_eq!(w.page, 2);
    }

    #[test]
    fn after_each_sweep_the_map_holds_exactly_the_window() {
        for pages in [1usize, 2, 3, 5] {
            let mut w = Window::new(pages);
            for p in 0..40u32 {
                let sids: Vec<String> = (0..10).map(|i| sid(p * 10 + i)).collect();
                assert!(page(&mut w, &sids).iter().all(|r| !r));
                let read = u64::from(p) + 1;
                if read % pages as u64 == 0 {
                    // Swept: the last `pages` pages (the next page's window), nothing more.
                    assert_eq!(
                        w.last_seen.len(),
                        10 * pages.min(read as usize),
                        "{pages}: page {read}"
                    );
                } else {
                    assert!(w.last_seen.len() <= 10 * 2 * pages, "{pages}: page {read}");
                }
            }
            // The page just out of the window is not a repeat; the oldest one in it is.
            w.begin(1);
            let first_in = 40 - pages as u32;
            assert!(w.repeated(&sid(first_in * 10)), "{pages}: in the window");
            if let Some(out) = first_in.checked_sub(1) {
                assert!(
                    !w.repeated(&sid(out * 10 + 1)),
                    "{pages}: out of the window"
                );
            }
        }
    }

    #[test]
    fn keys_spread_over_the_hash() {
        use std::hash::BuildHasher;
        let state = std::hash::RandomState::new();
        let hashes: std::collections::HashSet<u64> =
            (0..100).map(|n| state.hash_one(Key::of(&sid(n)))).collect();
        assert_eq!(hashes.len(), 100, "100 SIDs, 100 hashes");
        assert_ne!(state.hash_one(Key::of("x")), state.hash_one(Key::of("y")));
        // The two-letter prefix takes part in equality only.
        assert_eq!(
            state.hash_one(Key::of(&sid(7))),
            state.hash_one(Key::of(&format!("AC{:032x}", 7)))
        );
    }

    #[test]
    fn the_map_is_swept_once_every_window_not_every_page() {
        let mut w = Window::new(3);
        let mut sizes = Vec::new();
        for p in 0..9u32 {
            let sids: Vec<String> = (0..10).map(|i| sid(p * 10 + i)).collect();
            page(&mut w, &sids);
            sizes.push(w.last_seen.len());
        }
        // Swept after pages 3, 6 and 9 (down to the 3 pages in the window), growing between.
        assert_eq!(sizes, [10, 20, 30, 40, 50, 30, 40, 50, 30]);
    }
}
