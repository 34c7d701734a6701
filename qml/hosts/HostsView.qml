import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// One host's services (or all hosts') as a sortable, filterable table.
Item {
    id: view
    required property QtObject connection
    property string host: "" // "" = all hosts
    property alias filterText: search.text
    property alias proxy: proxy
    function focusSearch() { search.forceActiveFocus(); search.selectAll() }

    HostListModel { id: hosts; cluster: view.connection ? view.connection.state : null }
    ServiceTableModel { id: services; cluster: view.connection ? view.connection.state : null; host: view.host }
    ServiceFilterModel { id: proxy; source: services }

    // Column layout shared by the header and the rows: [title, role, width share].
    readonly property var columns: [
        [qsTr("Service"), "name", 0.13], [qsTr("Host"), "host", 0.10],
        [qsTr("Address"), "address", 0.15], [qsTr("Proto"), "protocol", 0.06],
        [qsTr("Tags"), "tags", 0.11], [qsTr("Container"), "containerName", 0.13],
        [qsTr("Image"), "image", 0.20], [qsTr("Age"), "ageSeconds", 0.08]
    ]
    property int now: 0 // ticks so ages stay current
    Timer { interval: 30000; running: view.visible; repeat: true; onTriggered: view.now++ }

    function age(s) {
        if (s < 0) return "—"
        if (s < 60) return s + " s"
        if (s < 3600) return Math.floor(s / 60) + " min"
        if (s < 86400) return Math.floor(s / 3600) + " h"
        return Math.floor(s / 86400) + " d"
    }

    RowLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        Rectangle {
            Layout.preferredWidth: 200
            Layout.fillHeight: true
            color: Theme.surface
            border.color: Theme.border
            radius: Theme.radius
            ListView {
                id: picker
                objectName: "hostPicker"
                anchors.fill: parent
                anchors.margins: 4
                clip: true
                model: hosts
                header: ItemDelegate {
                    width: picker.width
                    text: qsTr("All hosts")
                    highlighted: view.host === ""
                    onClicked: view.host = ""
                    contentItem: Label { text: parent.text; color: Theme.text; font.bold: true }
                    background: Rectangle { color: parent.highlighted ? Theme.selection : "transparent"; radius: 4 }
                }
                delegate: ItemDelegate {
                    required property string hostname
                    required property bool up
                    required property int serviceCount
                    width: picker.width
                    highlighted: view.host === hostname
                    onClicked: view.host = hostname
                    contentItem: RowLayout {
                        Rectangle { width: 8; height: 8; radius: 4; color: up ? Theme.good : Theme.bad }
                        Label { text: hostname; color: Theme.text; Layout.fillWidth: true; elide: Text.ElideRight }
                        Label { text: serviceCount; color: Theme.subtext }
                    }
                    background: Rectangle { color: parent.highlighted ? Theme.selection : "transparent"; radius: 4 }
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 8

            StatusBanner {
                Layout.fillWidth: true
                status: services.statusName
                errorString: services.errorString
            stale: services.count > 0
                emptyText: services.count === 0
                           ? (view.host === "" ? qsTr("No services are registered on any host.")
                                               : qsTr("%1 has no services registered.").arg(view.host))
                           : proxy.count === 0 ? qsTr("No service matches “%1”.").arg(search.text) : ""
            }
            RowLayout {
                Label {
                    text: (view.host === "" ? qsTr("All hosts") : view.host) + " · "
                          + (proxy.count === services.count ? qsTr("%1 services").arg(services.count)
                                                            : qsTr("%1 of %2 services").arg(proxy.count).arg(services.count))
                    color: Theme.text
                    font.pixelSize: 15
                    font.bold: true
                    Layout.fillWidth: true
                }
                SearchField {
                    id: search
                    objectName: "serviceSearch"
                    onTextChanged: proxy.filterText = text
                }
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: Theme.surface
                border.color: Theme.border
                radius: Theme.radius
                clip: true
                ColumnLayout {
                    anchors.fill: parent
                    anchors.margins: 1
                    spacing: 0
                    Row {
                        id: headerRow
                        Layout.fillWidth: true
                        Repeater {
                            model: view.columns
                            ServiceTableHeader {
                                required property var modelData
                                objectName: "header_" + modelData[1]
                                width: headerRow.width * modelData[2]
                                title: modelData[0]
                                role: modelData[1]
                                proxy: view.proxy
                            }
                        }
                    }
                    Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
                    ListView {
                        id: table
                        objectName: "serviceTable"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        clip: true
                        model: proxy
                        ScrollBar.vertical: ScrollBar {}
                        delegate: Rectangle {
                            id: rowItem
                            required property int index
                            required property var model
                            width: table.width
                            height: 28
                            color: index % 2 ? Theme.surfaceAlt : Theme.surface
                            Row {
                                anchors.fill: parent
                                Repeater {
                                    model: view.columns
                                    Label {
                                        required property var modelData
                                        width: rowItem.width * modelData[2]
                                        height: rowItem.height
                                        leftPadding: 6
                                        rightPadding: 4
                                        verticalAlignment: Text.AlignVCenter
                                        elide: Text.ElideRight
                                        color: modelData[1] === "name" ? Theme.text : Theme.subtext
                                        font.bold: modelData[1] === "name"
                                        font.family: modelData[1] === "address" ? Theme.monoFont : Qt.application.font.family
                                        text: {
                                            view.now
                                            const v = rowItem.model[modelData[1]]
                                            return modelData[1] === "ageSeconds" ? view.age(v) : (v === undefined ? "" : String(v))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
