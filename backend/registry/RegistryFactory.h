#pragma once

#include "registry/RegistryConfig.h"

class QObject;
class Registry;

// The registry for config.backend: EtcdV3Registry (etcd://, etcds://), Etcd2Registry (etcd2://)
// or SkyDnsRegistry (skydns2://). Never null. Nothing is contacted until start().
Registry *createRegistry(const RegistryConfig &config, QObject *parent = nullptr);
