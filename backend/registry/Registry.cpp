// Gives Registry.h a companion source, so AUTOMOC generates the meta-object of the abstract
// Registry (its signals) into portolan_registry.
#include "registry/Registry.h"
