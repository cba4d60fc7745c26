"""The pathway studio's engine side: what analysts do to models besides running them.

validate.validate(session, model_id, files, connectors, check_form) -> Report      (nothing written)
service.deploy(session, model_id, files, actor_id, connectors, check_form) -> (version, changed)
service.catalog / working_files / save_draft / discard_draft
diff.diff_files(old_files, new_files) -> VersionDiff                            (by element id)
migrate.migrate_instance(session, instance_id, new_version, actor_id) -> Outcome  (or refused, reasons)
sandbox.test_run(session, model_id, files, connectors, start_data, service_results) -> TestRun
transfer.export_zip / export_spiffarena / import_zip
dashboard.overview(session, since) -> per pathway: statuses, step medians, waits against targets
"""
