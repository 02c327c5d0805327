/* libarchive, loaded when first used instead of at every start: its
 * libraries (xml2, icu, lzma, zstd, ...) are ~60 of the binary's ~300
 * mappings, which every fork of the API service's fork server copied and
 * every exit and exec tore down. Include this instead of <archive.h>:
 * each archive_* name below calls through the loaded table.
 * Owner: the image store. */
#ifndef CC_LAZY_ARCHIVE_H
#define CC_LAZY_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

/* every function of it that ccompose calls, loaded at its first use */
#define CC_ARCHIVE_FUNCS \
        CC__ARCHIVE(archive_entry_atime) \
        CC__ARCHIVE(archive_entry_atime_is_set) \
        CC__ARCHIVE(archive_entry_atime_nsec) \
        CC__ARCHIVE(archive_entry_copy_pathname) \
        CC__ARCHIVE(archive_entry_copy_stat) \
        CC__ARCHIVE(archive_entry_copy_symlink) \
        CC__ARCHIVE(archive_entry_filetype) \
        CC__ARCHIVE(archive_entry_free) \
        CC__ARCHIVE(archive_entry_gid) \
        CC__ARCHIVE(archive_entry_hardlink) \
        CC__ARCHIVE(archive_entry_hardlink_utf8) \
        CC__ARCHIVE(archive_entry_linkify) \
        CC__ARCHIVE(archive_entry_linkresolver_free) \
        CC__ARCHIVE(archive_entry_linkresolver_new) \
        CC__ARCHIVE(archive_entry_linkresolver_set_strategy) \
        CC__ARCHIVE(archive_entry_mtime) \
        CC__ARCHIVE(archive_entry_mtime_nsec) \
        CC__ARCHIVE(archive_entry_new) \
        CC__ARCHIVE(archive_entry_pathname) \
        CC__ARCHIVE(archive_entry_pathname_utf8) \
        CC__ARCHIVE(archive_entry_perm) \
        CC__ARCHIVE(archive_entry_rdev) \
        CC__ARCHIVE(archive_entry_set_filetype) \
        CC__ARCHIVE(archive_entry_set_mtime) \
        CC__ARCHIVE(archive_entry_set_nlink) \
        CC__ARCHIVE(archive_entry_set_pathname) \
        CC__ARCHIVE(archive_entry_set_perm) \
        CC__ARCHIVE(archive_entry_set_size) \
        CC__ARCHIVE(archive_entry_set_symlink) \
        CC__ARCHIVE(archive_entry_size) \
        CC__ARCHIVE(archive_entry_size_is_set) \
        CC__ARCHIVE(archive_entry_symlink) \
        CC__ARCHIVE(archive_entry_symlink_utf8) \
        CC__ARCHIVE(archive_entry_uid) \
        CC__ARCHIVE(archive_entry_xattr_add_entry) \
        CC__ARCHIVE(archive_entry_xattr_count) \
        CC__ARCHIVE(archive_entry_xattr_next) \
        CC__ARCHIVE(archive_entry_xattr_reset) \
        CC__ARCHIVE(archive_errno) \
        CC__ARCHIVE(archive_error_string) \
        CC__ARCHIVE(archive_filter_code) \
        CC__ARCHIVE(archive_format) \
        CC__ARCHIVE(archive_read_data) \
        CC__ARCHIVE(archive_read_data_block) \
        CC__ARCHIVE(archive_read_free) \
        CC__ARCHIVE(archive_read_new) \
        CC__ARCHIVE(archive_read_next_header) \
        CC__ARCHIVE(archive_read_open) \
        CC__ARCHIVE(archive_read_open_fd) \
        CC__ARCHIVE(archive_read_open_memory) \
        CC__ARCHIVE(archive_read_support_filter_all) \
        CC__ARCHIVE(archive_read_support_filter_bzip2) \
        CC__ARCHIVE(archive_read_support_filter_gzip) \
        CC__ARCHIVE(archive_read_support_filter_xz) \
        CC__ARCHIVE(archive_read_support_filter_zstd) \
        CC__ARCHIVE(archive_read_support_format_empty) \
        CC__ARCHIVE(archive_read_support_format_raw) \
        CC__ARCHIVE(archive_read_support_format_tar) \
        CC__ARCHIVE(archive_set_error) \
        CC__ARCHIVE(archive_write_add_filter_none) \
        CC__ARCHIVE(archive_write_close) \
        CC__ARCHIVE(archive_write_data) \
        CC__ARCHIVE(archive_write_free) \
        CC__ARCHIVE(archive_write_header) \
        CC__ARCHIVE(archive_write_new) \
        CC__ARCHIVE(archive_write_open2) \
        CC__ARCHIVE(archive_write_open_fd) \
        CC__ARCHIVE(archive_write_set_bytes_in_last_block) \
        CC__ARCHIVE(archive_write_set_format_pax_restricted)

struct cc_archive_api {
#define CC__ARCHIVE(f) __typeof__(f) *f;
        CC_ARCHIVE_FUNCS
#undef CC__ARCHIVE
};

/* The library, dlopen()ed once (libarchive.so.13); a process that cannot load it
 * says so and exits 127. */
const struct cc_archive_api *cc_archive_api(void);

/* (the loader itself sees the real names) */

#ifndef CC_LAZY_LOADER
#define archive_entry_atime (cc_archive_api()->archive_entry_atime)
#define archive_entry_atime_is_set (cc_archive_api()->archive_entry_atime_is_set)
#define archive_entry_atime_nsec (cc_archive_api()->archive_entry_atime_nsec)
#define archive_entry_copy_pathname (cc_archive_api()->archive_entry_copy_pathname)
#define archive_entry_copy_stat (cc_archive_api()->archive_entry_copy_stat)
#define archive_entry_copy_symlink (cc_archive_api()->archive_entry_copy_symlink)
#define archive_entry_filetype (cc_archive_api()->archive_entry_filetype)
#define archive_entry_free (cc_archive_api()->archive_entry_free)
#define archive_entry_gid (cc_archive_api()->archive_entry_gid)
#define archive_entry_hardlink (cc_archive_api()->archive_entry_hardlink)
#define archive_entry_hardlink_utf8 (cc_archive_api()->archive_entry_hardlink_utf8)
#define archive_entry_linkify (cc_archive_api()->archive_entry_linkify)
#define archive_entry_linkresolver_free (cc_archive_api()->archive_entry_linkresolver_free)
#define archive_entry_linkresolver_new (cc_archive_api()->archive_entry_linkresolver_new)
#define archive_entry_linkresolver_set_strategy (cc_archive_api()->archive_entry_linkresolver_set_strategy)
#define archive_entry_mtime (cc_archive_api()->archive_entry_mtime)
#define archive_entry_mtime_nsec (cc_archive_api()->archive_entry_mtime_nsec)
#define archive_entry_new (cc_archive_api()->archive_entry_new)
#define archive_entry_pathname (cc_archive_api()->archive_entry_pathname)
#define archive_entry_pathname_utf8 (cc_archive_api()->archive_entry_pathname_utf8)
#define archive_entry_perm (cc_archive_api()->archive_entry_perm)
#define archive_entry_rdev (cc_archive_api()->archive_entry_rdev)
#define archive_entry_set_filetype (cc_archive_api()->archive_entry_set_filetype)
#define archive_entry_set_mtime (cc_archive_api()->archive_entry_set_mtime)
#define archive_entry_set_nlink (cc_archive_api()->archive_entry_set_nlink)
#define archive_entry_set_pathname (cc_archive_api()->archive_entry_set_pathname)
#define archive_entry_set_perm (cc_archive_api()->archive_entry_set_perm)
#define archive_entry_set_size (cc_archive_api()->archive_entry_set_size)
#define archive_entry_set_symlink (cc_archive_api()->archive_entry_set_symlink)
#define archive_entry_size (cc_archive_api()->archive_entry_size)
#define archive_entry_size_is_set (cc_archive_api()->archive_entry_size_is_set)
#define archive_entry_symlink (cc_archive_api()->archive_entry_symlink)
#define archive_entry_symlink_utf8 (cc_archive_api()->archive_entry_symlink_utf8)
#define archive_entry_uid (cc_archive_api()->archive_entry_uid)
#define archive_entry_xattr_add_entry (cc_archive_api()->archive_entry_xattr_add_entry)
#define archive_entry_xattr_count (cc_archive_api()->archive_entry_xattr_count)
#define archive_entry_xattr_next (cc_archive_api()->archive_entry_xattr_next)
#define archive_entry_xattr_reset (cc_archive_api()->archive_entry_xattr_reset)
#define archive_errno (cc_archive_api()->archive_errno)
#define archive_error_string (cc_archive_api()->archive_error_string)
#define archive_filter_code (cc_archive_api()->archive_filter_code)
#define archive_format (cc_archive_api()->archive_format)
#define archive_read_data (cc_archive_api()->archive_read_data)
#define archive_read_data_block (cc_archive_api()->archive_read_data_block)
#define archive_read_free (cc_archive_api()->archive_read_free)
#define archive_read_new (cc_archive_api()->archive_read_new)
#define archive_read_next_header (cc_archive_api()->archive_read_next_header)
#define archive_read_open (cc_archive_api()->archive_read_open)
#define archive_read_open_fd (cc_archive_api()->archive_read_open_fd)
#define archive_read_open_memory (cc_archive_api()->archive_read_open_memory)
#define archive_read_support_filter_all (cc_archive_api()->archive_read_support_filter_all)
#define archive_read_support_filter_bzip2 (cc_archive_api()->archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip (cc_archive_api()->archive_read_support_filter_gzip)
#define archive_read_support_filter_xz (cc_archive_api()->archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (cc_archive_api()->archive_read_support_filter_zstd)
#define archive_read_support_format_empty (cc_archive_api()->archive_read_support_format_empty)
#define archive_read_support_format_raw (cc_archive_api()->archive_read_support_format_raw)
#define archive_read_support_format_tar (cc_archive_api()->archive_read_support_format_tar)
#define archive_set_error (cc_archive_api()->archive_set_error)
#define archive_write_add_filter_none (cc_archive_api()->archive_write_add_filter_none)
#define archive_write_close (cc_archive_api()->archive_write_close)
#define archive_write_data (cc_archive_api()->archive_write_data)
#define archive_write_free (cc_archive_api()->archive_write_free)
#define archive_write_header (cc_archive_api()->archive_write_header)
#define archive_write_new (cc_archive_api()->archive_write_new)
#define archive_write_open2 (cc_archive_api()->archive_write_open2)
#define archive_write_open_fd (cc_archive_api()->archive_write_open_fd)
#define archive_write_set_bytes_in_last_block (cc_archive_api()->archive_write_set_bytes_in_last_block)
#define archive_write_set_format_pax_restricted (cc_archive_api()->archive_write_set_format_pax_restricted)
#endif

#endif
