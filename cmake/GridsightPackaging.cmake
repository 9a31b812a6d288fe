# Debian packages (CPack DEB), one per component (docs/installer-guide.md):
#   gridsight-edge        edge daemon, /etc/gridsight/edge.yaml (conffile), its systemd unit
#   gridsight-aggregator  aggregator, /etc/gridsight/aggregator.yaml (conffile), its unit, the
#                         provisioning tools (gridsight-pki, gridsight-provision), the
#                         broker's configuration (/usr/share/gridsight/mosquitto.conf) and
#                         the CRL renewal timer (gridsight-crl.timer)
# Both create the `gridsight` system user and /var/lib/gridsight/<role> (postinst); purge
# removes them (postrm). Built by scripts/package.sh into build/packages.
#
# Depends: native builds run dpkg-shlibdeps on the binaries. A cross build cannot (its
# sysroot has no dpkg database): pass the list with -DGRIDSIGHT_PACKAGE_EDGE_DEPENDS=...
# (scripts/package.sh takes it from the amd64 package after checking both binaries need the
# same libraries).

set(GRIDSIGHT_PACKAGE_VERSION "${PROJECT_VERSION}" CACHE STRING "Upstream version of the packages")
set(GRIDSIGHT_PACKAGE_RELEASE "1" CACHE STRING "Debian revision of the packages")
set(GRIDSIGHT_PACKAGE_EDGE_DEPENDS "" CACHE STRING
  "Depends of gridsight-edge when dpkg-shlibdeps cannot run (cross builds)")

set(_gs_pkg_src ${PROJECT_SOURCE_DIR}/config/package)
set(_gs_pkg_dir ${PROJECT_BINARY_DIR}/packaging)

# Maintainer scripts and conffiles list for one component.
function(gridsight_package_component role)
  set(PACKAGE gridsight-${role})
  set(ROLE ${role})
  if(role STREQUAL "edge")
    set(OTHER_PACKAGES gridsight-aggregator)
    set(TIMERS "")
  else()
    set(OTHER_PACKAGES gridsight-edge)
    set(TIMERS gridsight-crl.timer)  # config/systemd/gridsight-crl.{timer,service}
  endif()
  set(dir ${_gs_pkg_dir}/${role})
  foreach(script postinst prerm postrm)
    configure_file(${_gs_pkg_src}/${script}.in ${dir}/${script} @ONLY
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                       WORLD_READ WORLD_EXECUTE)
  endforeach()
  file(WRITE ${dir}/conffiles "/etc/gridsight/${role}.yaml\n")
  install(FILES ${_gs_pkg_src}/${role}.yaml DESTINATION /etc/gridsight COMPONENT ${role}
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/gridsight-${role}.service
    DESTINATION /lib/systemd/system COMPONENT ${role})
  install(FILES ${PROJECT_SOURCE_DIR}/docs/installer-guide.md
    DESTINATION share/doc/gridsight-${role} COMPONENT ${role})
  string(TOUPPER ${role} up)
  set(CPACK_DEBIAN_${up}_PACKAGE_NAME gridsight-${role} PARENT_SCOPE)
  set(CPACK_DEBIAN_${up}_PACKAGE_CONTROL_EXTRA
    "${dir}/postinst;${dir}/prerm;${dir}/postrm;${dir}/conffiles" PARENT_SCOPE)
endfunction()

set(_gs_components)
if(TARGET gridsight-edge)
  gridsight_package_component(edge)
  list(APPEND _gs_components edge)
endif()
if(TARGET gridsight-aggregator)
  gridsight_package_component(aggregator)
  list(APPEND _gs_components aggregator)
  # The CRL renewal: a daily timer and its oneshot service (docs/security.md).
  install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/gridsight-crl.service
    ${PROJECT_SOURCE_DIR}/config/systemd/gridsight-crl.timer
    DESTINATION /lib/systemd/system COMPONENT aggregator)
  # The broker's production configuration (docs/installer-guide.md).
  install(FILES ${PROJECT_SOURCE_DIR}/config/broker/mosquitto.conf
    DESTINATION share/gridsight COMPONENT aggregator)
  # Provisioning runs on the operations side, beside the aggregator.
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/gridsight-pki ${PROJECT_SOURCE_DIR}/tools/gridsight-provision
    DESTINATION bin COMPONENT aggregator)
  if(TARGET gridsight-passwd)
    install(TARGETS gridsight-passwd RUNTIME DESTINATION bin COMPONENT aggregator)
  elseif(EXISTS ${PROJECT_SOURCE_DIR}/tools/gridsight-passwd)
    install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/gridsight-passwd DESTINATION bin COMPONENT aggregator)
  endif()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gridsight)
set(CPACK_PACKAGE_VENDOR gridsight)
set(CPACK_PACKAGE_CONTACT "gridsight maintainers <dev@gridsight.invalid>")
set(CPACK_PACKAGE_VERSION ${GRIDSIGHT_PACKAGE_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL ${_gs_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${GRIDSIGHT_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://gridsight.invalid")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
else()
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
endif()

set(CPACK_COMPONENT_EDGE_DESCRIPTION
  "gridsight edge daemon\n Runs on a box beside city cameras: decodes the camera streams, detects\n incidents, keeps every event in a durable outbox and delivers it to the\n aggregator over MQTT with mutual TLS.")
set(CPACK_COMPONENT_AGGREGATOR_DESCRIPTION
  "gridsight aggregator and provisioning tools\n The central service: ingests the edge boxes' events exactly once and files\n them as cases by grid cell, class and department. Also ships the fleet's\n certificate tooling and the one-command provisioning of edge boxes.")
set(CPACK_DEBIAN_EDGE_PACKAGE_SECTION net)
set(CPACK_DEBIAN_AGGREGATOR_PACKAGE_SECTION net)

if(CMAKE_CROSSCOMPILING)
  if(GRIDSIGHT_PACKAGE_EDGE_DEPENDS STREQUAL "")
    set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS "adduser")
  else()
    set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS "adduser, ${GRIDSIGHT_PACKAGE_EDGE_DEPENDS}")
  endif()
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS "adduser")
endif()
# The aggregator's tools: openssl (certificates), tar (bundles).
set(CPACK_DEBIAN_AGGREGATOR_PACKAGE_DEPENDS "adduser, openssl")
set(CPACK_DEBIAN_AGGREGATOR_PACKAGE_RECOMMENDS "mosquitto")

include(CPack)
