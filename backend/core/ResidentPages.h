#pragma once

#include <QtGlobal>

// Start-up touches pages of every shared library that the agent never uses again: the dynamic
// linker reads the symbol tables of ICU, Kerberos, glib ... to relocate them, and every code
// fault maps a 64 KiB window around it. Those pages stay counted in the agent's RSS although
// nothing reads them (bench/FINDINGS.md F9, F15).
//
// releaseStartupPages() drops this process's page-table entries for clean, read-only,
// file-backed mappings (program and library code, read-only data, symbol tables): the pages stay
// in the page cache, shared with every other process, and the ones still in use fault back in
// as minor faults (no disk read). Mappings holding private copies (RELRO, written data) and
// anonymous memory are never touched. Returns the kB no longer resident, or -1 when
// /proc/self/smaps cannot be read.
namespace ResidentPages {
qint64 releaseStartupPages();
}
