//! A small executor for tests: module bodies are statements, one per line.
//!
//! - `import NAME` (leading dots: relative to the module's package), stores the result as attribute
//!   `NAME`'s last segment... nothing more: the import either works or the module fails with its error
//! - `from NAME import A, B` (`__import__` with a fromlist; NAME may be dots only)
//! - `set KEY VALUE` sets an attribute
//! - `all A B C` sets `__all__`
//! - `raise MESSAGE` fails at that line
//! - `sleep MS` sleeps
//! - `wait TAG` / `arrive TAG` rendezvous with the test through `Executor::gate`
//! - `partial NAME` imports NAME and records whether it came back partly initialised
//! - `reload NAME` reloads NAME (absolute)
//! - `remove NAME` takes NAME out of the module table

#![allow(dead_code)]

pub mod cli;
pub mod scratch;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Weak};
use std::time::Duration;

use importkit::{
    ErrorCode, Executor, HostError, ModuleHandle, ModuleKind, ModuleSpec, ModuleState, MountFile, MountMode, Runtime,
};
use parking_lot::Mutex;

#[derive(Default)]
pub struct Module {
    pub name: String,
    pub attrs: Mutex<HashMap<String, String>>,
    pub all: Mutex<Vec<String>>,
}

#[derive(Default)]
pub struct TestExecutor {
    runtime: Mutex<Weak<RuntimeSlot>>,
    modules: Mutex<Vec<Option<Arc<Module>>>>,
    pub execs: Mutex<HashMap<String, usize>>,
    pub creates: AtomicUsize,
    pub released: AtomicUsize,
    pub binds: Mutex<Vec<(String, String)>>,
    pub partials: Mutex<Vec<String>>,
    pub barriers: Mutex<HashMap<String, Arc<Barrier>>>,
}

/// The runtime the executor imports through (a weak link, so the runtime can be freed).
pub struct RuntimeSlot(pub Runtime);

impl TestExecutor {
    pub fn install(rt: &Runtime) -> (Arc<TestExecutor>, Arc<RuntimeSlot>) {
        let ex = Arc::new(TestExecutor::default());
        let slot = Arc::new(RuntimeSlot(rt.clone()));
        *ex.runtime.lock() = Arc::downgrade(&slot);
        rt.set_executor(ex.clone());
        (ex, slot)
    }

    pub fn module(&self, h: ModuleHandle) -> Arc<Module> {
        self.modules.lock()[h.get() - 1].clone().expect("module handle is live")
    }

    /// The module behind a handle, if this executor made it.
    pub fn try_module(&self, h: ModuleHandle) -> Option<Arc<Module>> {
        self.modules.lock().get(h.get() - 1).cloned().flatten()
    }

    pub fn attr(&self, h: ModuleHandle, key: &str) -> Option<String> {
        self.module(h).attrs.lock().get(key).cloned()
    }

    pub fn exec_count(&self, name: &str) -> usize {
        self.execs.lock().get(name).copied().unwrap_or(0)
    }

    pub fn live_modules(&self) -> usize {
        self.modules.lock().iter().filter(|m| m.is_some()).count()
    }

    pub fn gate(&self, tag: &str, parties: usize) {
        self.barriers.lock().insert(tag.to_owned(), Arc::new(Barrier::new(parties)));
    }

    fn new_module(&self, name: &str) -> ModuleHandle {
        let mut modules = self.modules.lock();
        modules.push(Some(Arc::new(Module { name: name.to_owned(), ..Default::default() })));
        NonZeroUsize::new(modules.len()).unwrap()
    }

    fn runtime(&self) -> Runtime {
        self.runtime.lock().upgrade().expect("runtime alive").0.clone()
    }
}

fn host_error(e: importkit::Error, _line: u32) -> HostError {
    HostError::passing(e)
}

impl Executor for TestExecutor {
    fn create(&self, spec: &ModuleSpec) -> Result<ModuleHandle, HostError> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        let h = self.new_module(spec.name());
        let m = self.module(h);
        m.attrs.lock().insert("__name__".into(), spec.name().into());
        m.attrs.lock().insert("__package__".into(), spec.parent().into());
        Ok(h)
    }

    fn exec(&self, spec: &ModuleSpec, module: ModuleHandle, source: Option<&[u8]>) -> Result<(), HostError> {
        *self.execs.lock().entry(spec.name().to_owned()).or_default() += 1;
        let text = String::from_utf8_lossy(source.unwrap_or_default()).into_owned();
        let rt = self.runtime();
        let this = self.module(module);
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let line = line.trim();
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "" | "#" => {}
                "import" => {
                    rt.import(rest, Some(spec.parent())).map_err(|e| host_error(e, line_no))?;
                }
                "partial" => {
                    let h = rt.import(rest, Some(spec.parent())).map_err(|e| host_error(e, line_no))?;
                    let absolute = self.module(h).name.clone();
                    if rt.module(&absolute).map(|(_, s)| s) == Some(ModuleState::Initializing) {
                        self.partials.lock().push(format!("{}<-{}", spec.name(), absolute));
                    }
                }
                "from" => {
                    let (target, names) = rest.split_once(" import ").expect("from X import Y");
                    let level = target.len() - target.trim_start_matches('.').len();
                    let fromlist: Vec<&str> = names.split(',').map(str::trim).collect();
                    rt.import_from(target.trim_start_matches('.'), Some(spec.parent()), level, &fromlist)
                        .map_err(|e| host_error(e, line_no))?;
                }
                "reload" => {
                    rt.reload(rest).map_err(|e| host_error(e, line_no))?;
                }
                "remove" => {
                    rt.remove_module(rest).map_err(|e| host_error(e, line_no))?;
                }
                "set" => {
                    let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
                    this.attrs.lock().insert(k.to_owned(), v.to_owned());
                }
                "all" => *this.all.lock() = rest.split_whitespace().map(str::to_owned).collect(),
                "raise" => return Err(HostError::new(rest).at(line_no, 1)),
                "sleep" => std::thread::sleep(Duration::from_millis(rest.parse().unwrap_or(1))),
                "arrive" => {
                    let b = self.barriers.lock().get(rest).cloned().expect("gate set");
                    b.wait();
                }
                other => return Err(HostError::new(format!("unknown statement '{other}'")).at(line_no, 1)),
            }
        }
        Ok(())
    }

    fn bind(&self, parent: ModuleHandle, name: &str, child: ModuleHandle) -> Result<(), HostError> {
        let (Some(p), Some(c)) = (self.try_module(parent), self.try_module(child)) else {
            return Err(HostError::new("not one of this executor's modules"));
        };
        p.attrs.lock().insert(name.to_owned(), format!("<module {}>", c.name));
        self.binds.lock().push((p.name.clone(), name.to_owned()));
        Ok(())
    }

    fn has_attr(&self, module: ModuleHandle, name: &str) -> bool {
        self.try_module(module).is_some_and(|m| m.attrs.lock().contains_key(name))
    }

    fn all_names(&self, module: ModuleHandle) -> Result<Vec<String>, HostError> {
        Ok(self.module(module).all.lock().clone())
    }

    fn release(&self, module: ModuleHandle) {
        self.released.fetch_add(1, Ordering::SeqCst);
        if let Some(slot) = self.modules.lock().get_mut(module.get() - 1) {
            *slot = None;
        }
    }
}

/// Mounts `files` (path, source) at `point`.
pub fn mount(rt: &Runtime, point: &str, files: &[(&str, &str)]) {
    let files = files.iter().map(|(p, s)| MountFile::new(*p, s.as_bytes())).collect();
    rt.mount(point, files, MountMode::New, None).unwrap();
}

/// A runtime with the test executor.
pub fn runtime() -> (Runtime, Arc<TestExecutor>, Arc<RuntimeSlot>) {
    let rt = Runtime::default();
    let (ex, slot) = TestExecutor::install(&rt);
    (rt, ex, slot)
}

pub fn kind(rt: &Runtime, name: &str) -> ModuleKind {
    rt.find_spec(name, None).unwrap().kind()
}

pub fn code(r: Result<ModuleHandle, importkit::Error>) -> ErrorCode {
    r.expect_err("expected an error").code()
}
