//! The one trace of a search: what each place said, when someone wants to know (an error's attempts,
//! `importkit resolve --trace`). A search nobody traces formats nothing.

use crate::error::Attempt;
use crate::limits::MAX_NOTES;

/// Collects the attempts of one search. At most [`MAX_NOTES`] places are noted; the rest are counted in one
/// last note ([`Trace::finish`], or when the trace is dropped), so a hostile tree cannot make an error of
/// megabytes. Limits that cut the search short are always noted, once each.
pub struct Trace<'a> {
    notes: Option<&'a mut Vec<Attempt>>,
    noted: usize,
    omitted: usize,
    limits: Vec<String>,
}

impl<'a> Trace<'a> {
    pub fn new(notes: Option<&'a mut Vec<Attempt>>) -> Self {
        Trace { notes, noted: 0, omitted: 0, limits: Vec::new() }
    }

    /// A trace that notes nothing.
    pub fn off() -> Trace<'static> {
        Trace::new(None)
    }

    #[inline]
    pub fn tracing(&self) -> bool {
        self.notes.is_some()
    }

    pub fn note(&mut self, attempt: Attempt) {
        if let Some(n) = self.notes.as_mut() {
            if self.noted < MAX_NOTES {
                n.push(attempt);
                self.noted += 1;
            } else {
                self.omitted += 1;
            }
        }
    }

    /// Notes what `make` says, made only when tracing.
    #[inline]
    pub fn note_with(&mut self, make: impl FnOnce() -> Option<Attempt>) {
        if self.tracing() {
            if let Some(a) = make() {
                self.note(a);
            }
        }
    }

    /// Notes that a limit cut the search short: always (past the cap too), once per limit, since it explains
    /// what the other notes do not.
    pub fn note_limit(&mut self, place: &str, why: String) {
        if let Some(n) = self.notes.as_mut() {
            if !self.limits.contains(&why) {
                n.push(Attempt::new(place, why.clone()));
                self.limits.push(why);
            }
        }
    }

    /// Adds the count of places not listed; nothing more is noted after it.
    pub fn finish(&mut self) {
        if let (Some(n), true) = (self.notes.as_mut(), self.omitted > 0) {
            n.push(Attempt::new("path", format!("{} more places not listed", self.omitted)));
        }
        self.omitted = 0;
        self.notes = None;
    }
}

impl Drop for Trace<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}
