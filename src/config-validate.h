/* config-validate.h: validators for single config values.
 *
 * Each returns NULL when the string is acceptable, or the reason it is not
 * (a sentence fragment the caller prefixes with file:line:col and the key
 * path).  The caller frees the reason. */
#pragma once

char *config_check_path(const char *s);
char *config_check_command(const char *s);
char *config_check_ssh_host(const char *s);
char *config_check_socks_url(const char *s);
char *config_check_http_url(const char *s);
char *config_check_dns_addr(const char *s);
/* network.allowedDomains / deniedDomains entries: domain_pattern_parse(). */
char *config_check_domain_pattern(const char *s);
