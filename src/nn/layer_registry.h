/* The registry of user-defined layer kinds (layer_custom.c), as the plugin
 * loader (layer_plugin.c) uses it: every kind of a plugin is checked
 * before any is registered, and each remembers which plugin brought it. */
#ifndef CLMLP_LAYER_REGISTRY_H
#define CLMLP_LAYER_REGISTRY_H

#include "clmlp_layer.h"

/* Whether k could be registered now (name, size, functions, no clash);
 * CLMLP_OK or a negative status with the reason as the message. */
int clmlp_layer_check(const clmlp_layer_kind *k);
/* How many more kinds the registry can take. */
size_t clmlp_layer_registry_room(void);
/* Registers k, noting that it came from `from` (a plugin's path, kept as
 * given: a string that lives as long as the program), or NULL. */
int clmlp_layer_register_from(const clmlp_layer_kind *k, const char *from);

#endif
