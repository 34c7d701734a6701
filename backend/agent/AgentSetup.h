#pragma once

#include "agent/AgentOptions.h"
#include "registry/RegistryConfig.h"
#include "service/ServiceBuilder.h"

// Turns parsed flags into the configs of the parts. Every failure is one sentence for the user.
namespace AgentSetup {
QString systemHostname();
bool registryConfig(const AgentOptions &options, const QString &hostname, RegistryConfig *out,
                    QString *error);
// Best address for 0.0.0.0 bindings when -ip is not given: the OS hostname's address, else the
// first non-loopback IPv4 address of an interface that is up.
QString resolveHostIp(const QString &hostname);
} // namespace AgentSetup
