#pragma once

// Makes the backend's dashboard models QML types in module "Portolan.Models" 1.0. One place,
// called by the program and by the QML test runner before any QML is loaded.
void registerDashboardTypes();
