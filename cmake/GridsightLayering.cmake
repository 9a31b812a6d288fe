# Ports and layers (docs/architecture.md): what may see a store implementation.

# gridsight_forbid_links(<target> <forbidden target>...): fails the configuration when
# <target> links one of the forbidden targets, directly or through anything it links.
function(gridsight_forbid_links target)
  set(forbidden ${ARGN})
  set(seen "")
  set(queue ${target})
  string(MAKE_C_IDENTIFIER "${target}" id)
  set(via_${id} "")
  while(queue)
    list(POP_FRONT queue t)
    if(t IN_LIST seen OR NOT TARGET ${t})
      continue()
    endif()
    list(APPEND seen ${t})
    string(MAKE_C_IDENTIFIER "${t}" tid)
    get_target_property(direct ${t} LINK_LIBRARIES)
    get_target_property(usage ${t} INTERFACE_LINK_LIBRARIES)
    foreach(dep IN LISTS direct usage)
      if(dep MATCHES "^\\$<LINK_ONLY:(.+)>$")
        set(dep ${CMAKE_MATCH_1})
      endif()
      if(NOT dep OR dep MATCHES "NOTFOUND$|^\\$<")
        continue()
      endif()
      if(dep IN_LIST forbidden)
        message(FATAL_ERROR "${target} links ${dep} (${target}${via_${tid}} -> ${dep}): it "
                            "may see the stores only through their ports, the *_interface "
                            "targets (docs/architecture.md, \"Ports and layers\")")
      endif()
      string(MAKE_C_IDENTIFIER "${dep}" did)
      if(NOT DEFINED via_${did})
        set(via_${did} "${via_${tid}} -> ${dep}")
      endif()
      list(APPEND queue ${dep})
    endforeach()
  endwhile()
endfunction()

# gridsight_check_layering(): the link rule for the API and the domains (run once every
# target exists), and the source rule (cmake/check_layering.cmake) as a build step of the API
# and the daemon and as the test "layering".
function(gridsight_check_layering)
  set(implementations gridsight_case_store_sqlite gridsight_event_store_sqlite
                      gridsight_aggregator_store_pg)
  foreach(t gridsight_api gridsight_cases gridsight_aggregator_ingest gridsight_aggregator_dispatch)
    if(TARGET ${t})
      gridsight_forbid_links(${t} ${implementations})
    endif()
  endforeach()
endfunction()
