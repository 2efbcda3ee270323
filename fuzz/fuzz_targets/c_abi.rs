//! The C ABI's string and list arguments: names, packages, fromlists, search paths, mount trees and policy
//! names from the fuzzer, given NUL-terminated and counted, through the `extern "C"` functions. Every call
//! returns a known status; every error object's strings agree with their lengths and hold no control
//! character.
#![no_main]

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

use importkit::ffi::error::*;
use importkit::ffi::import::*;
use importkit::ffi::list::*;
use importkit::ffi::mount::*;
use importkit::ffi::runtime::*;
use importkit::ffi::search_path::*;
use importkit::ffi::spec::ik_spec_free;
use importkit::ffi::status::{ik_status, ik_status_name};
use libfuzzer_sys::fuzz_target;

mod common;

/// Checks an error object the way a C host reads it, then frees it.
unsafe fn take(status: ik_status, err: *mut ik_error) {
    if status == ik_status::IK_OK {
        assert!(err.is_null());
        return;
    }
    assert!(!err.is_null(), "a failure without an error object");
    assert_eq!(ik_error_status(err), status);
    let name = CStr::from_ptr(ik_status_name(status as i32));
    assert!(name.to_bytes().starts_with(b"IK_ERR_"));
    let mut len = 0usize;
    let msg = ik_error_message(err, &mut len);
    let text = CStr::from_ptr(msg).to_str().expect("UTF-8");
    assert_eq!(text.len(), len, "strlen and len_out disagree");
    common::check_text("message", text);
    for i in 0..ik_error_attempt_count(err) {
        for get in [ik_error_attempt_place, ik_error_attempt_reason] {
            let t = CStr::from_ptr(get(err, i, &mut len)).to_str().expect("UTF-8");
            assert_eq!(t.len(), len, "strlen and len_out disagree");
            common::check_text("attempt", t);
        }
    }
    ik_error_free(err);
}

fuzz_target!(|data: &[u8]| unsafe {
    let parts = common::pieces(data, 8);
    let get = |i: usize| parts.get(i).copied().unwrap_or(&[]);
    let cstr = |b: &[u8]| CString::new(b.iter().copied().filter(|c| *c != 0).collect::<Vec<u8>>()).unwrap();
    let mut rt = ptr::null_mut();
    let mut err = ptr::null_mut();
    assert_eq!(ik_runtime_new(ptr::null(), &mut rt, &mut err), ik_status::IK_OK);

    // A tree from piece 0: lines are paths, each file holds its own path.
    let tree = get(0);
    let paths: Vec<&[u8]> = tree.split(|b| *b == b'\n').take(32).collect();
    let files: Vec<ik_mount_file> = paths
        .iter()
        .map(|p| ik_mount_file { path: p.as_ptr().cast(), path_len: p.len(), data: p.as_ptr(), data_len: p.len() })
        .collect();
    let point = cstr(get(1));
    let mut id = 0u64;
    err = ptr::null_mut();
    let s = ik_runtime_mount(rt, point.as_ptr(), files.as_ptr(), files.len(), 0, None, ptr::null_mut(), &mut id, &mut err);
    take(s, err);

    // Policy names.
    let policy = cstr(get(2));
    err = ptr::null_mut();
    take(ik_runtime_deny(rt, policy.as_ptr(), &mut err), err);

    // Names: counted (embedded NULs and all) and NUL-terminated, with a package.
    let name = get(3);
    let package = get(4);
    let mut module: *mut c_void = ptr::null_mut();
    err = ptr::null_mut();
    let s = ik_runtime_import_n(
        rt,
        name.as_ptr().cast(),
        name.len(),
        package.as_ptr().cast(),
        package.len(),
        &mut module,
        &mut err,
    );
    take(s, err);
    let cname = cstr(name);
    let cpackage = cstr(package);
    let mut spec = ptr::null();
    err = ptr::null_mut();
    let s = ik_runtime_find_spec(rt, cname.as_ptr(), cpackage.as_ptr(), &mut spec, &mut err);
    take(s, err);
    if s == ik_status::IK_OK {
        ik_spec_free(spec);
    }

    // A fromlist and a search path from the other pieces (the filesystem stays off: no file is touched).
    let list: Vec<CString> = get(5).split(|b| *b == b'\n').take(16).map(cstr).collect();
    let ptrs: Vec<*const c_char> = list.iter().map(|c| c.as_ptr()).collect();
    let level = get(6).first().copied().unwrap_or(0) as u32 % 4;
    err = ptr::null_mut();
    let s = ik_runtime_import_from(
        rt,
        cname.as_ptr(),
        cpackage.as_ptr(),
        level,
        ptrs.as_ptr(),
        ptrs.len(),
        &mut module,
        &mut err,
    );
    take(s, err);
    err = ptr::null_mut();
    take(ik_runtime_path_set(rt, ptrs.as_ptr(), ptrs.len(), &mut err), err);
    err = ptr::null_mut();
    let s = ik_runtime_path_find_spec(rt, cname.as_ptr(), ptrs.as_ptr(), ptrs.len(), &mut spec, &mut err);
    take(s, err);
    err = ptr::null_mut();
    let s = ik_runtime_insert_package(rt, cname.as_ptr(), 8 as *mut c_void, ptrs.as_ptr(), ptrs.len(), &mut err);
    take(s, err);
    let mut names = ptr::null_mut();
    err = ptr::null_mut();
    let s = ik_runtime_namespace_locations(rt, cname.as_ptr(), &mut names, &mut err);
    take(s, err);
    if s == ik_status::IK_OK {
        ik_name_list_free(names);
    }
    err = ptr::null_mut();
    take(ik_runtime_remove_module(rt, cname.as_ptr(), &mut err), err);
    ik_runtime_free(rt);
});
