// End-to-end tests: see ImageBuildEndToEndTests.swift
