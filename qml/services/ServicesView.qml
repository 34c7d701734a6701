pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// Services grouped by name: "redis: 3 instances on core-01, core-02", where balancers route it,
// and each instance with its health.
Item {
    id: view
    required property ClusterConnection connection
    // False while another view is shown (Main.qml): the models then hold their updates.
    property bool current: true
    property alias filterText: search.text
    function focusSearch() { search.forceActiveFocus(); search.selectAll() }
    // How many groups the filter keeps (the delegates hide the others), so the banner can say
    // why the list is empty.
    readonly property int matchCount: {
        const needle = search.text.toLowerCase()
        if (needle === "")
            return groups.count
        let n = 0
        for (let i = 0; i < groups.count; ++i) {
            const summary = groups.data(groups.index(i, 0), ServiceGroupModel.SummaryRole)
            if (String(summary).toLowerCase().indexOf(needle) >= 0)
                ++n
        }
        return n
    }

    ServiceGroupModel { id: groups; cluster: view.connection ? view.connection.state : null; active: view.current }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 8
        StatusBanner {
            Layout.fillWidth: true
            status: groups.statusName
            errorString: groups.errorString
            stale: groups.count > 0
            emptyText: groups.count === 0 ? qsTr("No services are registered in the cluster.")
                     : view.matchCount === 0 ? qsTr("No service name or instance matches “%1”.").arg(search.text)
                     : ""
        }
        RowLayout {
            Label {
                textFormat: Text.PlainText
                text: groups.count === 1 ? qsTr("1 service name") : qsTr("%1 service names").arg(groups.count)
                color: Theme.text
                font.pixelSize: 15
                font.bold: true
                Layout.fillWidth: true
            }
            SearchField { id: search; objectName: "groupSearch" }
        }
        ListView {
            id: list
            objectName: "serviceGroups"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 8
            model: groups
            ScrollBar.vertical: ScrollBar {}
            delegate: Rectangle {
                id: group
                required property string name
                required property string summary
                required property int instanceCount
                required property var instances
                required property string routedBy
                required property string healthSummary
                readonly property bool shown: search.text === ""
                    || summary.toLowerCase().indexOf(search.text.toLowerCase()) >= 0
                visible: shown
                width: list.width - 12
                height: shown ? content.implicitHeight + 20 : 0
                color: Theme.surface
                border.color: Theme.border
                radius: Theme.radius
                ColumnLayout {
                    id: content
                    anchors.fill: parent
                    anchors.margins: 10
                    spacing: 6
                    RowLayout {
                        spacing: 12
                        Label {
                            textFormat: Text.PlainText
                            objectName: "groupSummary"
                            text: group.summary
                            color: Theme.text
                            font.pixelSize: 14
                            font.bold: true
                        }
                        Label {
                            textFormat: Text.PlainText
                            objectName: "groupHealth"
                            visible: text !== ""
                            text: group.healthSummary
                            color: group.healthSummary.indexOf("unhealthy") >= 0 ? Theme.bad : Theme.warn
                            font.bold: true
                        }
                        Label {
                            textFormat: Text.PlainText
                            objectName: "groupRoutedBy"
                            Layout.fillWidth: true
                            elide: Text.ElideRight
                            text: group.routedBy !== "" ? qsTr("routed by %1").arg(group.routedBy)
                                                        : qsTr("not routed")
                            color: group.routedBy !== "" ? Theme.accent : Theme.subtext
                        }
                    }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 6
                        Repeater {
                            model: group.instances
                            Rectangle {
                                id: instanceChip
                                required property var modelData
                                color: Theme.surfaceAlt
                                radius: 4
                                width: chip.implicitWidth + 14
                                height: chip.implicitHeight + 8
                                readonly property string health: modelData.health
                                objectName: "instanceChip"
                                Row {
                                    id: chip
                                    anchors.centerIn: parent
                                    spacing: 8
                                    Label {
                                        textFormat: Text.PlainText
                                        text: instanceChip.modelData.host + "  " + instanceChip.modelData.address + "  "
                                              + instanceChip.modelData.containerName
                                        color: Theme.subtext
                                        font.family: Theme.monoFont
                                        font.pixelSize: 12
                                    }
                                    Label { // nothing for an agent too old to report health
                                        textFormat: Text.PlainText
                                        objectName: "instanceHealth"
                                        visible: text !== ""
                                        text: instanceChip.modelData.healthText
                                        color: instanceChip.health === "healthy" ? Theme.good
                                             : instanceChip.health === "unhealthy" ? Theme.bad
                                             : instanceChip.health === "starting" || instanceChip.health === "stopping"
                                               ? Theme.warn : Theme.subtext
                                        font.bold: instanceChip.health !== "none"
                                        font.pixelSize: 12
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
