#pragma once

#include "registry/DeclarativeRegistry.h"
#include "registry/RegistryConfig.h"

class QObject;

// The registry for config.backend: EtcdV3Registry (etcd://, etcds://), Etcd2Registry (etcd2://)
// or SkyDnsRegistry (skydns2://). Never null. Nothing is contacted until start().
DeclarativeRegistry *createRegistry(const RegistryConfig &config, QObject *parent = nullptr);
