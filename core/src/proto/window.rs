//! "No record twice": the record SIDs of the page being read and of the last few pages, in
//! one map, so that each record costs one lookup.
//!
//! A SID is `XX` + 32 hex digits: its 34 bytes are its own key, kept inline (compared exactly,
//! never reduced to a digest two SIDs could share), and the map's hasher (foldhash, seeded per
//! process, so a server cannot aim SIDs at one bucket) only spreads them over the buckets;
//! anything else a server sends as a SID is kept as its exact text. Each key maps to the last
//! page it was seen on, so the window check is a comparison, not a lookup per remembered page;
//! keys of a page that leaves the window are removed, and a page read part-way is taken back
//! exactly.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use foldhash::fast::RandomState;

/// A record's identity: the SID's exact bytes, inline when it has a SID's length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// The SIDs of the page being read and of the last `pages` pages.
#[derive(Debug)]
pub(crate) struct Window {
    pages: usize,
    /// The number of the page being read (the first is 1).
    page: u64,
    /// Each key, and the last page it was on.
    last_seen: HashMap<Key, u64, RandomState>,
    /// The keys each remembered page added or moved, oldest page first, with the page the key
    /// was on before (0: none), to take a page back exactly.
    added: VecDeque<Vec<(Key, u64)>>,
}

impl Window {
    /// A window of the page being read and the `pages` before it.
    pub(crate) fn new(pages: usize) -> Self {
        Window {
            pages,
            page: 0,
            last_seen: HashMap::default(),
            added: VecDeque::with_capacity(pages + 1),
        }
    }

    /// Starts reading the next page (`expected`: about how many records it holds).
    pub(crate) fn begin(&mut self, expected: usize) {
        self.page += 1;
        self.last_seen.reserve(expected);
        self.added.push_back(Vec::with_capacity(expected));
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
        if let Some(added) = self.added.back_mut() {
            added.push((key, before));
        }
        before != 0 && before >= oldest
    }

    /// The page was read to its end: it joins the window, and the oldest page leaves it.
    pub(crate) fn end(&mut self) {
        while self.added.len() > self.pages {
            let Some(gone) = self.added.pop_front() else {
                break;
            };
            let page = self.page - self.added.len() as u64;
            for (key, _) in gone {
                if let Entry::Occupied(e) = self.last_seen.entry(key)
                    && *e.get() == page
                {
                    e.remove();
                }
            }
        }
    }

    /// The page was not read to its end (it will be fetched again): what it added is taken
    /// back.
    pub(crate) fn abandon(&mut self) {
        let Some(added) = self.added.pop_back() else {
            return;
        };
        for (key, before) in added.into_iter().rev() {
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
}
