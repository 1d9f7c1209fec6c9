# The Debian package (scripts/package.sh): `cpack -G DEB` in any configured
# build tree makes hookd_VERSION_ARCH.deb from two install components:
#   runtime  hookd and hookctl (CMakeLists.txt), also part of `cmake --install`
#   deb      the rules below, EXCLUDE_FROM_ALL: only the package has them
# The package's prefix is /usr whatever CMAKE_INSTALL_PREFIX says, so its
# unit is configured here for /usr/bin/hookd and goes to /lib/systemd/system
# (Debian 12's unit directory: dpkg does not treat /lib and /usr/lib as one).
# Its /etc/hookd/hookd.toml is a conffile; the maintainer scripts create and
# purge the admin token (see postinst and postrm here).

set(HOOKD_DEB_SOURCE ${CMAKE_CURRENT_LIST_DIR})
set(HOOKD_DEB_BINARY ${CMAKE_BINARY_DIR}/deb)
set(HOOKD_DEB_DOCDIR share/doc/hookd)

# Scoped, so that the source install's HOOKD_INSTALL_* stay as they are.
function(hookd_deb_configure_unit)
  set(HOOKD_INSTALL_BINARY /usr/bin/hookd)
  set(HOOKD_INSTALL_DOC /usr/${HOOKD_DEB_DOCDIR})
  configure_file(${CMAKE_SOURCE_DIR}/systemd/hookd.service.in
                 ${HOOKD_DEB_BINARY}/hookd.service @ONLY)
endfunction()
hookd_deb_configure_unit()

# Man pages and the changelog, compressed as Debian policy asks (gzip -9n:
# no name or time stamp, so the same input gives the same bytes).
function(hookd_deb_gzip source output)
  execute_process(COMMAND gzip -9nc ${source} OUTPUT_FILE ${output} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "gzip ${source}: ${status}")
  endif()
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
endfunction()
foreach(page hookd.8 hookctl.1)
  configure_file(${HOOKD_DEB_SOURCE}/${page} ${HOOKD_DEB_BINARY}/${page} @ONLY)
  hookd_deb_gzip(${HOOKD_DEB_BINARY}/${page} ${HOOKD_DEB_BINARY}/${page}.gz)
endforeach()
# A native package (no Debian revision) names it changelog.gz.
file(STRINGS ${HOOKD_DEB_SOURCE}/changelog changelog_top LIMIT_COUNT 1)
if(NOT changelog_top MATCHES "^hookd \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/deb/changelog: the top entry is not version "
                      "${PROJECT_VERSION}: add an entry for it")
endif()
hookd_deb_gzip(${HOOKD_DEB_SOURCE}/changelog ${HOOKD_DEB_BINARY}/changelog.gz)
file(WRITE ${HOOKD_DEB_BINARY}/conffiles "/etc/hookd/hookd.toml\n")

install(FILES ${HOOKD_DEB_BINARY}/hookd.service DESTINATION /lib/systemd/system
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${HOOKD_DEB_SOURCE}/hookd.toml DESTINATION /etc/hookd
        COMPONENT deb EXCLUDE_FROM_ALL)
file(GLOB HOOKD_DEB_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${HOOKD_DEB_DOCS}
              ${HOOKD_DEB_SOURCE}/copyright ${HOOKD_DEB_BINARY}/changelog.gz
        DESTINATION ${HOOKD_DEB_DOCDIR} COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/hookd.example.toml
              ${CMAKE_SOURCE_DIR}/config/minio.toml ${CMAKE_SOURCE_DIR}/config/opteryx.toml
        DESTINATION ${HOOKD_DEB_DOCDIR}/examples COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${HOOKD_DEB_BINARY}/hookd.8.gz DESTINATION share/man/man8
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${HOOKD_DEB_BINARY}/hookctl.1.gz DESTINATION share/man/man1
        COMPONENT deb EXCLUDE_FROM_ALL)

# Stripped as dh_strip does: no symbols, no .comment or .note section. The
# runtime component is staged first (CPACK_INSTALL_CMAKE_PROJECTS' order).
install(CODE "
  foreach(bin hookd hookctl)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${bin}\"
      COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
" COMPONENT deb EXCLUDE_FROM_ALL)
# Overrides, each with its reason, for what lintian reports and we keep.
install(FILES ${HOOKD_DEB_SOURCE}/lintian-overrides DESTINATION share/lintian/overrides
        RENAME hookd COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hookd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CMAKE_BINARY_DIR};hookd;runtime;/" "${CMAKE_BINARY_DIR};hookd;deb;/")
set(CPACK_PACKAGE_CONTACT
    "hookd maintainers <maintainers@users.noreply.b-seed-220468c5.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "webhook event router with durable, retried delivery")
# One line each: CPack keeps the line breaks, Debian wants lines under 80.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "hookd receives MinIO bucket notifications, Opteryx catalog events,"
  "CloudEvents and generic JSON over HTTP, authenticates the source, drops"
  "re-sent events and answers only once the event and every delivery it fans"
  "out to are stored in RocksDB. It then delivers each event to the matching"
  "subscriptions, signed per Standard Webhooks, with retries, backoff and"
  "dead letters. hookctl is its admin client.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends comes from dpkg-shlibdeps on the installed binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${HOOKD_DEB_BINARY}/conffiles
    ${HOOKD_DEB_SOURCE}/postinst ${HOOKD_DEB_SOURCE}/prerm ${HOOKD_DEB_SOURCE}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
