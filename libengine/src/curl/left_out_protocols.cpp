// The symbols Debian's static libcurl (libcurl.a) takes from the libraries
// of protocols and authentication schemes the supervisor never uses, so that
// linking libcurl statically does not load those libraries (and the GnuTLS,
// Kerberos, SASL and p11-kit stacks they bring) into every device's memory:
// about 3.5 MiB of resident shared-library pages (README.md, Footprint).
//
// Why none of them is ever reached:
// - LDAP, RTMP, SCP and SFTP code runs only for ldap://, rtmp://, scp:// and
//   sftp:// URLs. The Docker client's URLs are fixed http:// ones over the
//   engine's socket, the cloud clients restrict their handles to http and
//   https (CURLOPT_PROTOCOLS_STR), and libcurl follows redirects to http,
//   https and ftp only. Should one be reached all the same, the daemon stops
//   with a message naming the function instead of running on a stub.
// - GSS-API (Kerberos) runs only for Negotiate authentication, which no
//   handle asks for, and for a SOCKS5 proxy that offers GSS-API: there every
//   call fails the way a missing Kerberos ticket does (GSS_S_FAILURE) and
//   libcurl reports the transfer as failed, as it would on a device without
//   Kerberos credentials.
// - libssh2_init/exit/version run at curl_global_init and curl_version: they
//   succeed and report the library as left out; ldap_get_option runs at
//   curl_version too and fails, so libcurl names plain "OpenLDAP".
//
// The list is what `nm -u libcurl.a` names from librtmp, libssh2,
// libgssapi_krb5, libldap and liblber (Debian bookworm, curl 7.88). A libcurl
// that needs one more fails the link with that name: add it here.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

[[noreturn]] void left_out(const char* name) {
  std::fprintf(stderr,
               "supervisor: libcurl called %s, which belongs to a protocol this build leaves out "
               "(LDAP, RTMP, SCP/SFTP; see libengine/src/curl/left_out_protocols.cpp)\n",
               name);
  std::abort();
}

// GSS_S_FAILURE: the routine failed for a reason the minor status explains.
constexpr std::uint32_t kGssFailure = 13U << 16;

}  // namespace

#define LEFT_OUT(name) \
  extern "C" void name() { left_out(#name); }

// Kerberos (libgssapi_krb5): every call fails, releases succeed.
#define GSS_FAILS(name)                                 \
  extern "C" std::uint32_t name(std::uint32_t* minor) { \
    if (minor != nullptr) *minor = 0;                   \
    return kGssFailure;                                 \
  }
#define GSS_RELEASES(name)                              \
  extern "C" std::uint32_t name(std::uint32_t* minor) { \
    if (minor != nullptr) *minor = 0;                   \
    return 0;                                           \
  }

extern "C" {
// The name type libcurl hands gss_import_name, which fails anyway.
void* GSS_C_NT_HOSTBASED_SERVICE = nullptr;

int libssh2_init(int /*flags*/) { return 0; }
void libssh2_exit() {}
const char* libssh2_version(int /*required*/) { return "left-out"; }
// LDAP_OPT_ERROR: curl_version then leaves the LDAP version out.
int ldap_get_option(void* /*ld*/, int /*option*/, void* /*out*/) { return -1; }

// gss_buffer_desc.
struct GssBuffer {
  std::size_t length;
  void* value;
};

// The text of a failed GSS-API call. It must succeed: libcurl asks for the
// text until it gets one (or a message context other than 0), so a failing
// stub here spun it forever on a SOCKS5 proxy that offers GSS-API. One
// message (context 0: no more), allocated with malloc as the real library's
// are, because libcurl hands it back to gss_release_buffer.
std::uint32_t gss_display_status(std::uint32_t* minor, std::uint32_t /*status*/, int /*status_type*/,
                                 void* /*mechanism*/, std::uint32_t* message_context, GssBuffer* text) {
  static constexpr char kLeftOutText[] = "GSS-API (Kerberos) is left out of this build";
  if (minor != nullptr) *minor = 0;
  if (message_context != nullptr) *message_context = 0;
  if (text != nullptr) {
    text->value = std::malloc(sizeof kLeftOutText);
    text->length = text->value != nullptr ? sizeof kLeftOutText - 1 : 0;
    if (text->value != nullptr) std::memcpy(text->value, kLeftOutText, sizeof kLeftOutText);
  }
  return 0;  // GSS_S_COMPLETE
}

// Frees with free() as the real library does: libcurl releases through it
// both the texts above and buffers it allocated itself (the SOCKS5 service
// name it asks gss_import_name about; releasing nothing leaked it).
std::uint32_t gss_release_buffer(std::uint32_t* minor, GssBuffer* buffer) {
  if (minor != nullptr) *minor = 0;
  if (buffer != nullptr) {
    std::free(buffer->value);
    buffer->value = nullptr;
    buffer->length = 0;
  }
  return 0;  // GSS_S_COMPLETE
}
}

GSS_FAILS(gss_display_name)
GSS_FAILS(gss_import_name)
GSS_FAILS(gss_init_sec_context)
GSS_FAILS(gss_inquire_context)
GSS_FAILS(gss_unwrap)
GSS_FAILS(gss_wrap)
GSS_RELEASES(gss_delete_sec_context)
GSS_RELEASES(gss_release_name)

// LDAP (libldap, liblber)
LEFT_OUT(ber_bvfree)
LEFT_OUT(ber_free)
LEFT_OUT(ber_memfree)
LEFT_OUT(ber_memvfree)
LEFT_OUT(ber_sockbuf_add_io)
LEFT_OUT(ldap_abandon_ext)
LEFT_OUT(ldap_err2string)
LEFT_OUT(ldap_free_urldesc)
LEFT_OUT(ldap_get_attribute_ber)
LEFT_OUT(ldap_get_dn_ber)
LEFT_OUT(ldap_init_fd)
LEFT_OUT(ldap_memfree)
LEFT_OUT(ldap_msgfree)
LEFT_OUT(ldap_msgtype)
LEFT_OUT(ldap_parse_result)
LEFT_OUT(ldap_parse_sasl_bind_result)
LEFT_OUT(ldap_pvt_url_scheme2proto)
LEFT_OUT(ldap_result)
LEFT_OUT(ldap_sasl_bind)
LEFT_OUT(ldap_search_ext)
LEFT_OUT(ldap_set_option)
LEFT_OUT(ldap_start_tls)
LEFT_OUT(ldap_unbind_ext)
LEFT_OUT(ldap_url_parse)
// RTMP (librtmp)
LEFT_OUT(RTMP_Alloc)
LEFT_OUT(RTMP_Close)
LEFT_OUT(RTMP_Connect1)
LEFT_OUT(RTMP_ConnectStream)
LEFT_OUT(RTMP_Free)
LEFT_OUT(RTMP_Init)
LEFT_OUT(RTMP_Read)
LEFT_OUT(RTMP_SetBufferMS)
LEFT_OUT(RTMP_SetupURL)
LEFT_OUT(RTMP_Write)
// SCP and SFTP (libssh2)
LEFT_OUT(libssh2_agent_connect)
LEFT_OUT(libssh2_agent_disconnect)
LEFT_OUT(libssh2_agent_free)
LEFT_OUT(libssh2_agent_get_identity)
LEFT_OUT(libssh2_agent_init)
LEFT_OUT(libssh2_agent_list_identities)
LEFT_OUT(libssh2_agent_userauth)
LEFT_OUT(libssh2_channel_free)
LEFT_OUT(libssh2_channel_read_ex)
LEFT_OUT(libssh2_channel_send_eof)
LEFT_OUT(libssh2_channel_wait_closed)
LEFT_OUT(libssh2_channel_wait_eof)
LEFT_OUT(libssh2_channel_write_ex)
LEFT_OUT(libssh2_hostkey_hash)
LEFT_OUT(libssh2_knownhost_add)
LEFT_OUT(libssh2_knownhost_checkp)
LEFT_OUT(libssh2_knownhost_del)
LEFT_OUT(libssh2_knownhost_free)
LEFT_OUT(libssh2_knownhost_get)
LEFT_OUT(libssh2_knownhost_init)
LEFT_OUT(libssh2_knownhost_readfile)
LEFT_OUT(libssh2_knownhost_writefile)
LEFT_OUT(libssh2_scp_recv2)
LEFT_OUT(libssh2_scp_send64)
LEFT_OUT(libssh2_session_abstract)
LEFT_OUT(libssh2_session_block_directions)
LEFT_OUT(libssh2_session_callback_set)
LEFT_OUT(libssh2_session_disconnect_ex)
LEFT_OUT(libssh2_session_flag)
LEFT_OUT(libssh2_session_free)
LEFT_OUT(libssh2_session_handshake)
LEFT_OUT(libssh2_session_hostkey)
LEFT_OUT(libssh2_session_init_ex)
LEFT_OUT(libssh2_session_last_errno)
LEFT_OUT(libssh2_session_last_error)
LEFT_OUT(libssh2_session_method_pref)
LEFT_OUT(libssh2_session_set_blocking)
LEFT_OUT(libssh2_sftp_close_handle)
LEFT_OUT(libssh2_sftp_init)
LEFT_OUT(libssh2_sftp_last_error)
LEFT_OUT(libssh2_sftp_mkdir_ex)
LEFT_OUT(libssh2_sftp_open_ex)
LEFT_OUT(libssh2_sftp_read)
LEFT_OUT(libssh2_sftp_readdir_ex)
LEFT_OUT(libssh2_sftp_rename_ex)
LEFT_OUT(libssh2_sftp_rmdir_ex)
LEFT_OUT(libssh2_sftp_seek64)
LEFT_OUT(libssh2_sftp_shutdown)
LEFT_OUT(libssh2_sftp_stat_ex)
LEFT_OUT(libssh2_sftp_statvfs)
LEFT_OUT(libssh2_sftp_symlink_ex)
LEFT_OUT(libssh2_sftp_unlink_ex)
LEFT_OUT(libssh2_sftp_write)
LEFT_OUT(libssh2_userauth_authenticated)
LEFT_OUT(libssh2_userauth_keyboard_interactive_ex)
LEFT_OUT(libssh2_userauth_list)
LEFT_OUT(libssh2_userauth_password_ex)
LEFT_OUT(libssh2_userauth_publickey_fromfile_ex)
